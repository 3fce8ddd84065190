#include "conductor/http/db_routes.hpp"

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/sqlite/maintenance.hpp"
#include "conductor/http/ops_json.hpp"
#include "conductor/http/route_support.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::conductor {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kMaxProblemsShown = 100;

using Deps = std::shared_ptr<const OpsRouteDeps>;

uint64_t size_or_zero(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

http::ServerResponse backup(const OpsRouteDeps& deps, const http::ServerRequest& request) {
  auto body = parse_object_body(request.body, {"path"});
  if (!body) return error_response(body.error());
  auto path = optional_string(*body, "path");
  if (!path) return error_response(path.error());
  if (!path->has_value() || (*path)->empty()) return http::json_error(400, "path is required");
  const fs::path dest(**path);
  if (!dest.is_absolute()) return http::json_error(400, "path must be absolute: " + dest.string());
  std::error_code ec;
  if (!fs::is_directory(dest.parent_path(), ec))
    return http::json_error(400, "no directory " + dest.parent_path().string() + " to put the backup in");

  sqlite::BackupOptions options;
  options.deadline = std::chrono::steady_clock::now() + kBackupDeadline;
  auto copied = sqlite::online_backup(deps.database_path, dest.string(), options);
  if (!copied) return error_response(copied.error());
  return json_response(200, json{{"path", dest.string()},
                                 {"bytes", copied->bytes},
                                 {"pages", copied->pages},
                                 {"integrity", "ok"},
                                 {"at", time_or_null(deps.now())}});
}

http::ServerResponse check(const OpsRouteDeps& deps) {
  std::vector<std::string> problems;
  int schema_version = 0;
  const auto read = deps.read([&](ConductorStore& store) -> Status {
    auto found = sqlite::integrity_check(store.db().handle(), sqlite::IntegrityMode::quick, kMaxProblemsShown);
    if (!found) return found.error();
    problems = std::move(*found);
    schema_version = store.schema_version();
    return {};
  });
  if (!read) return http::json_error(503, "database unavailable: " + read.error().message);
  return json_response(200, json{{"ok", problems.empty()},
                                 {"problems", problems},
                                 {"mode", "quick_check"},
                                 {"schema_version", schema_version},
                                 {"path", deps.database_path},
                                 {"size_bytes", size_or_zero(deps.database_path)},
                                 {"wal_bytes", size_or_zero(deps.database_path + "-wal")}});
}

}  // namespace

void install_db_routes(http::Router& router, const OpsRouteDeps& deps_in) {
  auto copy = deps_in;
  if (!copy.now) copy.now = [] { return std::chrono::system_clock::now(); };
  const Deps d = std::make_shared<const OpsRouteDeps>(std::move(copy));
  router.add("POST", "/api/v1/db/backup",
             require_token(d->api_token, [d](const http::ServerRequest& r) { return backup(*d, r); }));
  router.add("GET", "/api/v1/db/check", [d](const http::ServerRequest&) { return check(*d); });
}

}  // namespace baton::conductor
