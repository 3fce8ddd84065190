#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "worker/checks/builtin_checks.hpp"

namespace baton::worker::checks {
namespace {

struct ProcessInfo {
  long pid = 0;
  std::string comm;
  std::string cmdline;  // NULs replaced by spaces
  std::string argv0_base;
  char state = '?';
  double rss_bytes = 0;
};

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Reads what the match needs; nullopt when the process is gone meanwhile.
std::optional<ProcessInfo> read_process(const std::string& proc_root, long pid) {
  const std::string dir = proc_root + "/" + std::to_string(pid);
  auto stat = slurp(dir + "/stat");
  if (!stat) return std::nullopt;
  ProcessInfo info;
  info.pid = pid;
  // The state follows the last ')', since comm itself may contain one.
  size_t paren = stat->rfind(')');
  if (paren != std::string::npos && paren + 2 < stat->size()) info.state = (*stat)[paren + 2];
  if (auto comm = slurp(dir + "/comm")) {
    info.comm = *comm;
    while (!info.comm.empty() && info.comm.back() == '\n') info.comm.pop_back();
  }
  if (auto cmdline = slurp(dir + "/cmdline")) {
    std::string argv0 = cmdline->substr(0, cmdline->find('\0'));
    info.argv0_base = argv0.substr(argv0.rfind('/') == std::string::npos ? 0 : argv0.rfind('/') + 1);
    info.cmdline = *cmdline;
    std::replace(info.cmdline.begin(), info.cmdline.end(), '\0', ' ');
    while (!info.cmdline.empty() && info.cmdline.back() == ' ') info.cmdline.pop_back();
  }
  if (auto statm = slurp(dir + "/statm")) {
    std::istringstream fields(*statm);
    double size = 0, resident = 0;
    if (fields >> size >> resident) info.rss_bytes = resident * static_cast<double>(::sysconf(_SC_PAGESIZE));
  }
  return info;
}

bool matches(const ProcessInfo& info, const std::string& name, const std::string& args_contains) {
  if (info.state == 'Z') return false;  // exited, only waiting to be reaped
  if (!name.empty() && info.comm != name && info.argv0_base != name) return false;
  if (!args_contains.empty() && info.cmdline.find(args_contains) == std::string::npos) return false;
  return true;
}

std::optional<long> parse_pid(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  if (text.empty() || text.size() > 10 || !std::all_of(text.begin(), text.end(), ::isdigit)) return std::nullopt;
  long pid = std::stol(text);
  return pid > 0 ? std::optional<long>(pid) : std::nullopt;
}

}  // namespace

Result<CheckReport> check_process(const CheckContext& context, CheckParams& params) {
  std::string name = params.text("name");
  std::string args_contains = params.text("args_contains");
  std::string pidfile = params.text("pidfile");
  Thresholds count = params.thresholds("count_warning", "count_critical", "", "1:");
  Thresholds rss = params.thresholds("rss_warning", "rss_critical", "", "", Unit::bytes);
  if (auto s = params.status(); !s) return s.error();
  if (name.empty() && args_contains.empty() && pidfile.empty())
    return make_error(Errc::invalid_argument, "param 'name': one of name, args_contains or pidfile is required");

  std::vector<ProcessInfo> found;
  std::string what;
  if (!pidfile.empty()) {
    what = "pidfile " + pidfile;
    auto text = slurp(pidfile);
    if (!text) {
      Verdict verdict;
      verdict.raise(CheckState::critical, "not running: " + pidfile + " is missing");
      verdict.measure("processes", 0, "", count, 0.0);
      return verdict.report("");
    }
    auto pid = parse_pid(*text);
    if (!pid) return make_error(Errc::decode, pidfile + " holds no process id");
    if (auto info = read_process(context.proc_root, *pid); info && matches(*info, name, args_contains))
      found.push_back(std::move(*info));
  } else {
    what = name.empty() ? "args containing '" + args_contains + "'" : "'" + name + "'";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(context.proc_root, ec)) {
      const std::string base = entry.path().filename().string();
      if (base.empty() || !std::all_of(base.begin(), base.end(), ::isdigit)) continue;
      if (auto info = read_process(context.proc_root, std::stol(base)); info && matches(*info, name, args_contains))
        found.push_back(std::move(*info));
    }
    if (ec) return make_error(Errc::io_error, "cannot list " + context.proc_root + ": " + ec.message());
  }

  Verdict verdict;
  const double matched = static_cast<double>(found.size());
  verdict.measure("processes", matched, "", count, 0.0);
  double total_rss = 0;
  for (const auto& info : found) total_rss += info.rss_bytes;
  if (!found.empty()) verdict.measure("rss", total_rss, "B", rss, 0.0);

  std::string summary = std::to_string(found.size()) + " process(es) matching " + what;
  if (!found.empty()) {
    summary += " (pid";
    for (size_t i = 0; i < found.size() && i < 10; ++i) summary += " " + std::to_string(found[i].pid);
    if (found.size() > 10) summary += " ...";
    summary += "), rss " + human_bytes(total_rss);
  }
  return verdict.report(summary);
}

}  // namespace baton::worker::checks
