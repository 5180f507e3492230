#include "host/metrics/process_metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <vector>

namespace clickagg::metrics {

namespace {

std::optional<std::string> slurp(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Boot time in Unix seconds (the "btime" line of /proc/stat); it never changes, so it is read once.
std::optional<double> boot_time() {
  static const std::optional<double> btime = []() -> std::optional<double> {
    std::ifstream in("/proc/stat");
    for (std::string line; std::getline(in, line);)
      if (line.starts_with("btime ")) return std::strtod(line.c_str() + 6, nullptr);
    return std::nullopt;
  }();
  return btime;
}

void read_stat(ProcessStats& s) {
  const std::optional<std::string> text = slurp("/proc/self/stat");
  if (!text) return;
  // "pid (comm) state ...": comm may hold spaces and parentheses, so fields count from the
  // last ')'. f[i] is field i + 3 of proc(5).
  const size_t close = text->rfind(')');
  if (close == std::string::npos) return;
  std::istringstream in(text->substr(close + 1));
  std::vector<std::string> f{std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
  if (f.size() < 22) return;
  auto field = [&f](int n) { return std::strtod(f[static_cast<size_t>(n - 3)].c_str(), nullptr); };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  s.cpu_seconds = (field(14) + field(15)) / ticks;  // utime + stime
  s.threads = field(20);
  if (const std::optional<double> btime = boot_time()) s.start_time_seconds = *btime + field(22) / ticks;
  s.virtual_bytes = field(23);
  s.resident_bytes = field(24) * page;
}

void read_fds(ProcessStats& s) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  const int own = dirfd(dir);
  double n = 0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    if (std::atoi(e->d_name) != own) ++n;
  }
  closedir(dir);
  s.open_fds = n;
}

void read_limits(ProcessStats& s) {
  std::ifstream in("/proc/self/limits");
  // "Max open files            1024                 1048576              files"
  static constexpr std::string_view kName = "Max open files";
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(kName)) continue;
    std::istringstream fields(line.substr(kName.size()));
    std::string soft;
    if (!(fields >> soft)) return;
    s.max_fds = soft == "unlimited" ? INFINITY : std::strtod(soft.c_str(), nullptr);
    return;
  }
}

std::string number(double v) {
  if (std::isinf(v)) return "+Inf";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

void family(std::string& out, const char* name, const char* type, const char* help,
            const std::optional<double>& v) {
  if (!v) return;  // a value that cannot be read is left out rather than reported as 0
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(number(*v)).append("\n");
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats s;
  read_stat(s);
  read_fds(s);
  read_limits(s);
  return s;
}

std::string render_process_metrics(const ProcessStats& s) {
  std::string out;
  family(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
         s.cpu_seconds);
  family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", s.max_fds);
  family(out, "process_open_fds", "gauge", "Number of open file descriptors.", s.open_fds);
  family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", s.resident_bytes);
  family(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
         s.start_time_seconds);
  family(out, "process_threads", "gauge", "Number of OS threads in the process.", s.threads);
  family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", s.virtual_bytes);
  return out;
}

}  // namespace clickagg::metrics
