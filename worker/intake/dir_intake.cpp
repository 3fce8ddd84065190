#include "worker/intake/dir_intake.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/log/logging.hpp"

namespace baton::worker {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

void mix(uint64_t& h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * kFnvPrime;
}

bool matches_any(const std::string& file_name, const std::vector<std::string>& patterns) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return fnmatch(p.c_str(), file_name.c_str(), 0) == 0; });
}

}  // namespace

Result<DirFingerprint> fingerprint(const std::string& path, const DirIntakeConfig& config) {
  DirFingerprint fp;
  fp.digest = kFnvOffset;
  fp.ready = config.ready_file.empty();
  std::error_code ec;
  // Sorted, so the digest does not depend on the order readdir returns.
  std::vector<std::pair<std::string, fs::directory_entry>> entries;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
    entries.emplace_back(fs::relative(it->path(), path, ec).string(), *it);
  if (ec) return make_error(Errc::io_error, "cannot read " + path + ": " + ec.message());
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [rel, entry] : entries) {
    const std::string file_name = entry.path().filename().string();
    if (!config.ready_file.empty() && rel == config.ready_file) fp.ready = true;
    if (matches_any(file_name, config.partial_patterns)) fp.partial = true;
    std::error_code stat_ec;
    const auto status = entry.symlink_status(stat_ec);
    if (stat_ec) return make_error(Errc::io_error, "cannot stat " + entry.path().string() + ": " + stat_ec.message());
    uint64_t size = 0;
    if (fs::is_regular_file(status)) {
      size = entry.file_size(stat_ec);
      fp.files += 1;
      fp.bytes += size;
    }
    const auto mtime = entry.last_write_time(stat_ec).time_since_epoch().count();
    mix(fp.digest, rel.data(), rel.size() + 1);
    mix(fp.digest, &size, sizeof size);
    mix(fp.digest, &mtime, sizeof mtime);
  }
  return fp;
}

std::string intake_case_id(const std::string& watch, const std::string& name) {
  std::string id = watch + "-" + name;
  for (char& c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  return id;
}

DirIntake::DirIntake(std::vector<DirIntakeConfig> watches, IntakeLedger& ledger, const Clock& clock)
    : watches_(std::move(watches)), ledger_(ledger), clock_(clock) {}

std::chrono::milliseconds DirIntake::scan_interval() const {
  if (watches_.empty()) return DirIntakeConfig{}.scan_interval;
  return std::min_element(watches_.begin(), watches_.end(), [](const auto& a, const auto& b) {
           return a.scan_interval < b.scan_interval;
         })->scan_interval;
}

std::vector<IntakeSubmission> DirIntake::scan() {
  std::vector<IntakeSubmission> out;
  for (const auto& watch : watches_) scan_watch(watch, out);
  return out;
}

IntakeSubmission DirIntake::submission(const DirIntakeConfig& watch, const std::string& name,
                                       const std::string& path) const {
  IntakeSubmission s;
  s.watch = watch.name;
  s.name = name;
  s.path = path;
  s.case_id = intake_case_id(watch.name, name);
  s.workflow = watch.workflow;
  s.params = watch.params;
  s.params[watch.param] = path;
  s.priority = watch.priority;
  return s;
}

void DirIntake::scan_watch(const DirIntakeConfig& watch, std::vector<IntakeSubmission>& out) {
  auto log = log::logger("intake");
  std::error_code ec;
  fs::directory_iterator it(watch.dir, ec);
  if (ec) {
    log->warn("intake {}: cannot read {}: {}", watch.name, watch.dir, ec.message());
    return;
  }
  const TimePoint now = clock_.now();
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // hidden: a copy tool's staging directory
    const std::string path = fs::absolute(it->path()).lexically_normal().string();
    auto known = ledger_.known(watch.name, name);
    if (!known) {
      log->error("intake {}: {}", watch.name, known.error().message);
      return;
    }
    if (*known) {
      pending_.erase(path);
      continue;
    }
    auto fp = fingerprint(path, watch);
    if (!fp) {
      log->warn("intake {}: {}", watch.name, fp.error().message);
      continue;
    }
    auto [p, inserted] = pending_.try_emplace(path, Pending{*fp, now});
    if (!inserted && !(p->second.fingerprint == *fp)) p->second = Pending{*fp, now};
    if (fp->partial || !fp->ready || now - p->second.unchanged_since < watch.stable_for) continue;
    IntakeSubmission s = submission(watch, name, path);
    if (auto st = ledger_.record(s, now); !st) {
      log->error("intake {}: cannot record {}: {}", watch.name, name, st.error().message);
      continue;
    }
    log->info("intake {}: {} unchanged for {} ms, submitting case {}", watch.name, path, watch.stable_for.count(),
              s.case_id);
    pending_.erase(path);
    out.push_back(std::move(s));
  }
}

// --- ledger

Result<std::unique_ptr<IntakeLedger>> IntakeLedger::open(const std::string& path) {
  auto db = sqlite::Database::open(path);
  if (!db) return db.error();
  if (db->user_version() == 0) {
    if (auto st = db->exec(R"sql(
CREATE TABLE IF NOT EXISTS submissions (
  watch        TEXT NOT NULL,
  name         TEXT NOT NULL,
  case_id      TEXT NOT NULL,
  path         TEXT NOT NULL,
  workflow     TEXT NOT NULL,
  params       TEXT NOT NULL,
  priority     INTEGER NOT NULL,
  recorded_ms  INTEGER NOT NULL,
  confirmed    INTEGER NOT NULL DEFAULT 0,
  reply        TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (watch, name)
);
CREATE INDEX IF NOT EXISTS submissions_by_case ON submissions (case_id);
)sql");
        !st)
      return st.error();
    if (auto st = db->set_user_version(1); !st) return st.error();
  }
  return std::unique_ptr<IntakeLedger>(new IntakeLedger(std::move(*db)));
}

Result<bool> IntakeLedger::known(const std::string& watch, const std::string& name) {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare("SELECT 1 FROM submissions WHERE watch = ?1 AND name = ?2");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, watch).bind(2, name);
  return (*stmt)->step();
}

Status IntakeLedger::record(const IntakeSubmission& s, TimePoint at) {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare(
      "INSERT INTO submissions (watch, name, case_id, path, workflow, params, priority, recorded_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, s.watch).bind(2, s.name).bind(3, s.case_id).bind(4, s.path).bind(5, s.workflow)
      .bind(6, nlohmann::json(s.params).dump()).bind(7, s.priority).bind(8, to_unix_ms(at));
  return (*stmt)->run();
}

Status IntakeLedger::mark_confirmed(const std::string& case_id) {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare("UPDATE submissions SET confirmed = 1 WHERE case_id = ?1");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, case_id);
  return (*stmt)->run();
}

Status IntakeLedger::set_reply(const std::string& case_id, bool accepted, const std::string& reason) {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare("UPDATE submissions SET reply = ?2 WHERE case_id = ?1");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, case_id).bind(2, accepted ? std::string("accepted") : "refused: " + reason);
  return (*stmt)->run();
}

Result<std::vector<IntakeSubmission>> IntakeLedger::unconfirmed() {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare(
      "SELECT watch, name, case_id, path, workflow, params, priority FROM submissions WHERE confirmed = 0 "
      "ORDER BY recorded_ms");
  if (!stmt) return stmt.error();
  std::vector<IntakeSubmission> out;
  while (true) {
    auto more = (*stmt)->step();
    if (!more) return more.error();
    if (!*more) break;
    auto& s = **stmt;
    IntakeSubmission row{s.column_text(0), s.column_text(1), s.column_text(3), s.column_text(2),
                         s.column_text(4), {}, static_cast<int>(s.column_int(6))};
    row.params = nlohmann::json::parse(s.column_text(5)).get<std::map<std::string, std::string>>();
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace baton::worker
