#include <algorithm>
#include <filesystem>
#include <vector>

#include "common/sys/process.hpp"
#include "worker/maintenance/actions.hpp"

namespace baton::worker::maintenance {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kDefaultMaxSize = 100ULL << 20;

// An earlier rotation of the log: `<log>.<index>` or `<log>.<index>.gz`.
struct Rotation {
  int index;
  bool compressed;
  fs::path path;
};

bool rotation_index(const std::string& text) {
  if (text.empty() || text.size() > 6 || text[0] == '0') return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<Rotation> earlier_rotations(const fs::path& log) {
  const std::string prefix = log.filename().string() + ".";
  std::vector<Rotation> found;
  std::error_code ec;
  for (fs::directory_iterator it(log.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = name.substr(prefix.size());
    const bool compressed = rest.size() > 3 && rest.compare(rest.size() - 3, 3, ".gz") == 0;
    if (compressed) rest.resize(rest.size() - 3);
    if (!rotation_index(rest)) continue;
    // Only files a rotation made: anything else with the name (a symlink a
    // user placed there) is left alone.
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    found.push_back({std::stoi(rest), compressed, it->path()});
  }
  std::sort(found.begin(), found.end(), [](const Rotation& a, const Rotation& b) { return a.index > b.index; });
  return found;
}

fs::path numbered(const fs::path& log, int index, bool compressed) {
  return log.string() + "." + std::to_string(index) + (compressed ? ".gz" : "");
}

struct Step {
  enum class Kind { remove, rename, copy_truncate, compress } kind;
  fs::path from;
  fs::path to;  // empty for remove
};

json to_json(const Step& step) {
  static const char* const names[] = {"remove", "rename", "copy_truncate", "compress"};
  json out = {{"op", names[static_cast<int>(step.kind)]}, {"path", step.from.string()}};
  if (!step.to.empty()) out["to"] = step.to.string();
  return out;
}

Status compress(const fs::path& file, const ActionContext& context) {
  sys::ProcessOptions gzip;
  gzip.argv = {context.config.gzip_program, "-f", "--", file.string()};
  gzip.timeout = std::max(context.time_left(), std::chrono::milliseconds(1));
  auto ran = sys::run_process(gzip);
  if (!ran) return make_error(ran.error().code, "gzip " + file.string() + ": " + ran.error().message);
  if (ran->exit_code != 0) {
    return make_error(Errc::io_error, "gzip " + file.string() + ": " + sys::describe(*ran) + " " + ran->err);
  }
  return {};
}

Status apply(const Step& step, const ActionContext& context) {
  std::error_code ec;
  switch (step.kind) {
    case Step::Kind::remove:
      fs::remove(step.from, ec);
      break;
    case Step::Kind::rename:
      fs::rename(step.from, step.to, ec);
      break;
    case Step::Kind::copy_truncate:
      // For writers that keep the file open and never reopen it; lines
      // written between the copy and the truncation are lost.
      fs::copy_file(step.from, step.to, fs::copy_options::overwrite_existing, ec);
      if (!ec) fs::resize_file(step.from, 0, ec);
      break;
    case Step::Kind::compress:
      return compress(step.from, context);
  }
  if (ec) return make_error(Errc::io_error, to_json(step).dump() + ": " + ec.message());
  return {};
}

}  // namespace

MaintenanceOutcome rotate_log(ActionParams& params, const ActionContext& context) {
  const fs::path log = params.path("path", context.roots);
  const uint64_t max_size = params.byte_size("max_size", kDefaultMaxSize);
  const int keep = static_cast<int>(params.integer("keep", 1, 1000, 5));
  const bool compressed = params.boolean("compress", true);
  const bool force = params.boolean("force", false);
  const bool copytruncate = params.boolean("copytruncate", false);
  if (auto s = params.finish(); !s) return MaintenanceOutcome::refusal(s.error().message);

  std::error_code ec;
  const auto status = fs::symlink_status(log, ec);
  if (!fs::is_regular_file(status)) {
    return MaintenanceOutcome::failure(log.string() + " is not an existing regular file");
  }
  const uint64_t size = fs::file_size(log, ec);

  MaintenanceOutcome out;
  out.details = {{"path", log.string()}, {"size", size}, {"max_size", max_size}, {"keep", keep}};
  out.metric("bytes_before", static_cast<double>(size));
  if (size <= max_size && !force) {
    out.ok = true;
    out.message = "not rotated: " + log.string() + " is " + std::to_string(size) + " bytes, at most max_size";
    out.details["rotated"] = false;
    out.metric("rotated", 0);
    return out;
  }

  std::vector<Step> plan;
  for (const auto& earlier : earlier_rotations(log)) {
    if (earlier.index >= keep) plan.push_back({Step::Kind::remove, earlier.path, {}});
    else plan.push_back({Step::Kind::rename, earlier.path, numbered(log, earlier.index + 1, earlier.compressed)});
  }
  plan.push_back({copytruncate ? Step::Kind::copy_truncate : Step::Kind::rename, log, numbered(log, 1, false)});
  if (compressed) plan.push_back({Step::Kind::compress, numbered(log, 1, false), numbered(log, 1, true)});

  json steps = json::array();
  for (const auto& step : plan) steps.push_back(to_json(step));
  out.details["plan"] = steps;
  const auto removed =
      std::count_if(plan.begin(), plan.end(), [](const Step& s) { return s.kind == Step::Kind::remove; });
  if (context.dry_run) {
    out.ok = true;
    out.message = "would rotate " + log.string() + " (" + std::to_string(plan.size()) + " steps)";
    out.details["rotated"] = false;
    return out;
  }
  for (size_t i = 0; i < plan.size(); ++i) {
    if (auto s = apply(plan[i], context); !s) {
      out.message =
          "rotation of " + log.string() + " stopped at step " + std::to_string(i + 1) + ": " + s.error().message;
      out.details["completed_steps"] = i;
      return out;
    }
  }
  out.ok = true;
  out.message = "rotated " + log.string() + (removed ? ", dropped " + std::to_string(removed) + " oldest" : "");
  out.details["rotated"] = true;
  out.metric("rotated", 1);
  out.metric("files_removed", static_cast<double>(removed));
  return out;
}

}  // namespace baton::worker::maintenance
