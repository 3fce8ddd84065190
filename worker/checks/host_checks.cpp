#include <sys/statvfs.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "worker/checks/builtin_checks.hpp"
#include "worker/resources/resource_sampler.hpp"

namespace baton::worker::checks {
namespace {

using std::chrono::milliseconds;

Result<std::string> read_proc_file(const CheckContext& context, const std::string& name) {
  std::string path = context.proc_root + "/" + name;
  std::ifstream in(path);
  if (!in) return make_error(Errc::io_error, "cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<CpuTimes> read_cpu_times(const CheckContext& context) {
  auto text = read_proc_file(context, "stat");
  if (!text) return text.error();
  auto times = parse_proc_stat(*text);
  if (!times) return make_error(Errc::decode, "no aggregate cpu line in " + context.proc_root + "/stat");
  return *times;
}

// Counts the "cpuN" lines, so a fixture /proc/stat decides the core count
// in tests just as the real one does on a host.
unsigned core_count(const std::string& stat_text) {
  unsigned cores = 0;
  std::istringstream lines(stat_text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > 3 && line.compare(0, 3, "cpu") == 0 && std::isdigit(static_cast<unsigned char>(line[3])))
      ++cores;
  }
  return cores;
}

}  // namespace

Result<CheckReport> check_disk(const CheckContext& context, CheckParams& params) {
  std::string path = params.text("path", "/");
  Thresholds used = params.thresholds("warning", "critical", "80", "90");
  Thresholds inodes = params.thresholds("inodes_warning", "inodes_critical", "80", "90");
  if (auto s = params.status(); !s) return s.error();

  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0)
    return make_error(Errc::io_error, "cannot stat filesystem at " + path + ": " + std::strerror(errno));

  Verdict verdict;
  const double unit = static_cast<double>(fs.f_frsize);
  const double used_bytes = static_cast<double>(fs.f_blocks - fs.f_bfree) * unit;
  // Like df: space reserved for root counts neither as used nor as available.
  const double usable_bytes = used_bytes + static_cast<double>(fs.f_bavail) * unit;
  const double used_percent = usable_bytes > 0 ? used_bytes * 100 / usable_bytes : 0;
  verdict.measure("disk_used", used_percent, "%", used, 0.0, 100.0);
  verdict.measure("disk_used_bytes", used_bytes, "B", {}, 0.0, static_cast<double>(fs.f_blocks) * unit);

  std::string summary = path + " " + short_number(used_percent) + "% used (" + human_bytes(used_bytes) + " of " +
                        human_bytes(usable_bytes) + ")";
  // Some filesystems (btrfs, FAT, tmpfs with nr_inodes=0) report no inode
  // counts; there is nothing to threshold then.
  if (fs.f_files > 0) {
    const double inode_percent = static_cast<double>(fs.f_files - fs.f_ffree) * 100 / static_cast<double>(fs.f_files);
    verdict.measure("inodes_used", inode_percent, "%", inodes, 0.0, 100.0);
    summary += ", inodes " + short_number(inode_percent) + "% used";
  }
  return verdict.report(summary);
}

Result<CheckReport> check_memory(const CheckContext& context, CheckParams& params) {
  Thresholds used = params.thresholds("warning", "critical", "90", "95");
  if (auto s = params.status(); !s) return s.error();

  auto text = read_proc_file(context, "meminfo");
  if (!text) return text.error();
  auto memory = parse_meminfo(*text);
  if (!memory || memory->first == 0)
    return make_error(Errc::decode, "no MemTotal/MemAvailable in " + context.proc_root + "/meminfo");
  const double total = static_cast<double>(memory->first);
  const double used_bytes = total - static_cast<double>(std::min(memory->second, memory->first));
  const double percent = used_bytes * 100 / total;

  Verdict verdict;
  verdict.measure("memory_used", percent, "%", used, 0.0, 100.0);
  verdict.measure("memory_used_bytes", used_bytes, "B", {}, 0.0, total);
  return verdict.report("memory " + short_number(percent) + "% used (" + human_bytes(used_bytes) + " of " +
                        human_bytes(total) + ")");
}

Result<CheckReport> check_cpu(const CheckContext& context, CheckParams& params) {
  // window=0 skips the busy sample and checks only the load averages.
  milliseconds window = params.duration("window", milliseconds(1000), milliseconds(0), milliseconds(60'000));
  Thresholds busy = params.thresholds("warning", "critical", "90", "95");
  bool per_core = params.boolean("per_core", false);
  Thresholds load[3] = {params.thresholds("load1_warning", "load1_critical"),
                        params.thresholds("load5_warning", "load5_critical"),
                        params.thresholds("load15_warning", "load15_critical")};
  if (auto s = params.status(); !s) return s.error();
  if (window >= context.remaining())
    return make_error(Errc::invalid_argument, "param 'window': " + std::to_string(window.count()) +
                                                  " ms does not fit in the timeout of " +
                                                  std::to_string(context.timeout.count()) + " ms");

  Verdict verdict;
  std::string summary;
  if (window.count() > 0) {
    auto before = read_cpu_times(context);
    if (!before) return before.error();
    std::this_thread::sleep_for(window);
    auto after = read_cpu_times(context);
    if (!after) return after.error();
    if (after->total <= before->total)
      return make_error(Errc::unavailable, "no CPU time passed in " + context.proc_root + "/stat during the window");
    const double percent = static_cast<double>(after->busy - std::min(after->busy, before->busy)) * 100 /
                           static_cast<double>(after->total - before->total);
    verdict.measure("cpu_busy", percent, "%", busy, 0.0, 100.0);
    summary = "cpu " + short_number(percent) + "% busy over " + std::to_string(window.count()) + " ms, ";
  }

  auto loadavg_text = read_proc_file(context, "loadavg");
  if (!loadavg_text) return loadavg_text.error();
  auto loads = parse_loadavg(*loadavg_text);
  if (!loads) return make_error(Errc::decode, "cannot parse " + context.proc_root + "/loadavg");
  double divisor = 1;
  if (per_core) {
    auto stat_text = read_proc_file(context, "stat");
    if (!stat_text) return stat_text.error();
    unsigned cores = core_count(*stat_text);
    if (cores == 0) return make_error(Errc::decode, "no cpuN lines in " + context.proc_root + "/stat");
    divisor = cores;
  }
  static const char* labels[3] = {"load1", "load5", "load15"};
  summary += per_core ? "load per core" : "load";
  for (int i = 0; i < 3; ++i) {
    double value = (*loads)[i] / divisor;
    verdict.measure(labels[i], value, "", load[i], 0.0);
    summary += (i ? ", " : " ") + format_number(std::round(value * 100) / 100);
  }
  return verdict.report(summary);
}

}  // namespace baton::worker::checks
