#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>
#include <vector>

#include "common/sqlite/maintenance.hpp"
#include "worker/maintenance/actions.hpp"

namespace baton::worker::maintenance {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kOperations = {"checkpoint", "vacuum",      "analyze",  "reindex",
                                              "quick_check", "integrity", "retention"};

uint64_t size_on_disk(const fs::path& database) {
  uint64_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    const auto size = fs::file_size(database.string() + suffix, ec);
    if (!ec) total += size;
  }
  return total;
}

Result<std::vector<std::string>> parse_operations(const std::string& text) {
  std::vector<std::string> operations;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) continue;
    if (std::find(kOperations.begin(), kOperations.end(), item) == kOperations.end()) {
      std::string known;
      for (const auto& op : kOperations) known += (known.empty() ? "" : ", ") + op;
      return make_error(Errc::refused, "unknown operation " + item + " (known: " + known + ")");
    }
    if (std::find(operations.begin(), operations.end(), item) != operations.end()) {
      return make_error(Errc::refused, "operation " + item + " is listed twice");
    }
    operations.push_back(item);
  }
  if (operations.empty()) return make_error(Errc::refused, "parameter operations: name at least one operation");
  return operations;
}

std::vector<const RetentionRule*> rules_for(const fs::path& database, const ActionContext& context) {
  std::vector<const RetentionRule*> rules;
  for (const auto& rule : context.config.sqlite_retention) {
    auto resolved = context.roots.check(rule.database);
    if (resolved && *resolved == database) rules.push_back(&rule);
  }
  return rules;
}

// One operation's report; `ok` false stops the ones after it.
json run_retention(sqlite3* db, const std::vector<const RetentionRule*>& rules, const ActionContext& context,
                   int64_t& rows_total) {
  json report = {{"op", "retention"}, {"ok", true}, {"rules", json::array()}};
  for (const RetentionRule* rule : rules) {
    const TimePoint cutoff = context.clock.now() - rule->older_than;
    auto rows = context.dry_run
                    ? sqlite::count_older_than(db, rule->table, rule->column, cutoff, rule->column_format)
                    : sqlite::delete_older_than(db, rule->table, rule->column, cutoff, rule->column_format);
    json entry = {{"table", rule->table}, {"column", rule->column}, {"cutoff_unix_ms", to_unix_ms(cutoff)}};
    if (!rows) {
      entry["error"] = rows.error().message;
      report["ok"] = false;
    } else {
      entry[context.dry_run ? "rows_to_delete" : "rows_deleted"] = *rows;
      rows_total += *rows;
    }
    report["rules"].push_back(entry);
    if (!rows) break;
  }
  return report;
}

json run_operation(const std::string& op, sqlite3* db, const ActionContext& context) {
  json report = {{"op", op}, {"ok", true}};
  if (context.dry_run) {
    report["would_run"] = true;
    return report;
  }
  Status status;
  if (op == "checkpoint") {
    auto checkpoint = sqlite::wal_checkpoint_truncate(db);
    if (!checkpoint) status = checkpoint.error();
    else report.update({{"busy", checkpoint->busy}, {"wal_frames", checkpoint->wal_frames},
                        {"checkpointed_frames", checkpoint->checkpointed_frames}});
  } else if (op == "vacuum") {
    status = sqlite::vacuum(db);
  } else if (op == "analyze") {
    status = sqlite::analyze(db);
  } else if (op == "reindex") {
    status = sqlite::reindex(db);
  } else {
    auto mode = op == "quick_check" ? sqlite::IntegrityMode::quick : sqlite::IntegrityMode::full;
    auto problems = sqlite::integrity_check(db, mode);
    if (!problems) status = problems.error();
    else if (!problems->empty()) report.update({{"ok", false}, {"problems", *problems}});
  }
  if (!status) report.update({{"ok", false}, {"error", status.error().message}});
  return report;
}

}  // namespace

MaintenanceOutcome maintain_sqlite(ActionParams& params, const ActionContext& context) {
  const fs::path database = params.path("database", context.roots);
  const std::string operations_text = params.required_text("operations");
  if (auto s = params.finish(); !s) return MaintenanceOutcome::refusal(s.error().message);
  auto operations = parse_operations(operations_text);
  if (!operations) return MaintenanceOutcome::refusal(operations.error().message);
  const auto rules = rules_for(database, context);
  const bool wants_retention =
      std::find(operations->begin(), operations->end(), "retention") != operations->end();
  if (wants_retention && rules.empty()) {
    return MaintenanceOutcome::refusal("no sqlite_retention rules are configured for " + database.string());
  }
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(database, ec))) {
    return MaintenanceOutcome::failure(database.string() + " is not an existing database file");
  }

  auto connection = sqlite::Connection::open_existing(database.string());
  if (!connection) return MaintenanceOutcome::failure(connection.error().message);
  sqlite::InterruptAtDeadline interrupt(connection->handle(), context.deadline);

  MaintenanceOutcome out;
  const uint64_t size_before = size_on_disk(database);
  json reports = json::array();
  int64_t rows = 0;
  bool all_ok = true;
  for (const auto& op : *operations) {
    json report = op == "retention" ? run_retention(connection->handle(), rules, context, rows)
                                    : run_operation(op, connection->handle(), context);
    all_ok = report["ok"].get<bool>();
    reports.push_back(std::move(report));
    if (!all_ok) break;
  }
  const uint64_t size_after = size_on_disk(database);
  out.details = {{"database", database.string()}, {"operations", reports},
                 {"size_before", size_before},   {"size_after", size_after}};
  out.metric("size_before", static_cast<double>(size_before));
  out.metric("size_after", static_cast<double>(size_after));
  if (wants_retention) out.metric(context.dry_run ? "rows_to_delete" : "rows_deleted", static_cast<double>(rows));
  out.ok = all_ok;
  if (all_ok) {
    out.message = std::string(context.dry_run ? "would run " : "ran ") + operations_text + " on " + database.string();
  } else {
    out.message = "operation " + reports.back()["op"].get<std::string>() + " failed on " + database.string();
    const json& failed = reports.back();
    if (failed.contains("error")) out.message += ": " + failed["error"].get<std::string>();
    if (failed.contains("problems")) out.message += ": " + failed["problems"][0].get<std::string>();
    for (const auto& rule : failed.value("rules", json::array())) {
      if (rule.contains("error")) out.message += ": " + rule["error"].get<std::string>();
    }
  }
  return out;
}

}  // namespace baton::worker::maintenance
