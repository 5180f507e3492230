// The process_* metrics against what this test process does and what the kernel reports
// through other interfaces (getrlimit, the CPU-time clock, the wall clock).
#include "host/metrics/process_metrics.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <future>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "host/metrics/metrics_registry.h"

namespace clickagg::metrics {
namespace {

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Taken while the test program loads, a few milliseconds after the process started.
const double kLoadedAt = wall_now();

double cpu_clock() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

constexpr double kMiB = 1024.0 * 1024.0;

TEST(ProcessMetricsTest, EveryValueIsRead) {
  const ProcessStats s = read_process_stats();
  ASSERT_TRUE(s.cpu_seconds && s.resident_bytes && s.virtual_bytes && s.start_time_seconds && s.threads &&
              s.open_fds && s.max_fds);
  EXPECT_GE(*s.threads, 1);
  EXPECT_GE(*s.open_fds, 3);  // stdin, stdout, stderr at least
  EXPECT_GT(*s.resident_bytes, 0);
  EXPECT_GE(*s.virtual_bytes, *s.resident_bytes);
}

TEST(ProcessMetricsTest, OpenFdsFollowOpenAndClose) {
  const double before = *read_process_stats().open_fds;
  std::vector<int> fds;
  for (int i = 0; i < 7; ++i) fds.push_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
  for (int fd : fds) ASSERT_GE(fd, 0);
  EXPECT_EQ(*read_process_stats().open_fds, before + 7);
  for (int fd : fds) close(fd);
  EXPECT_EQ(*read_process_stats().open_fds, before);
}

TEST(ProcessMetricsTest, MaxFdsIsTheSoftNofileLimit) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_EQ(*read_process_stats().max_fds, static_cast<double>(saved.rlim_cur));
  // Lowering the soft limit needs no privilege; the value follows it.
  rlimit lower = saved;
  lower.rlim_cur = 200;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lower), 0);
  const double seen = *read_process_stats().max_fds;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_EQ(seen, 200);
}

TEST(ProcessMetricsTest, MemoryFollowsAMappingAndItsTouchedPages) {
  const size_t size = 96u << 20;
  const ProcessStats before = read_process_stats();
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  const ProcessStats mapped = read_process_stats();
  // Mapped, not yet touched: address space, no resident pages.
  EXPECT_GE(*mapped.virtual_bytes - *before.virtual_bytes, static_cast<double>(size));
  EXPECT_LT(*mapped.resident_bytes - *before.resident_bytes, 16 * kMiB);
  std::memset(p, 1, size);
  const ProcessStats touched = read_process_stats();
  EXPECT_GE(*touched.resident_bytes - *mapped.resident_bytes, static_cast<double>(size) - 8 * kMiB);
  munmap(p, size);
  const ProcessStats unmapped = read_process_stats();
  EXPECT_LT(*unmapped.resident_bytes, *touched.resident_bytes - static_cast<double>(size) + 8 * kMiB);
  EXPECT_LT(*unmapped.virtual_bytes, *mapped.virtual_bytes);
}

TEST(ProcessMetricsTest, StartTimeIsWhenThisProcessStarted) {
  const double start = *read_process_stats().start_time_seconds;
  // The kernel's boot time is whole seconds, the start offset clock ticks: within 2 s.
  EXPECT_LT(std::abs(start - kLoadedAt), 2.0) << "start " << start << ", loaded at " << kLoadedAt;
  EXPECT_LE(start, wall_now());
  EXPECT_EQ(*read_process_stats().start_time_seconds, start);
}

TEST(ProcessMetricsTest, CpuSecondsCountEveryThread) {
  const double before = *read_process_stats().cpu_seconds;
  const double clock_before = cpu_clock();
  // The work runs on another thread: the metric is the whole process's.
  std::thread([] {
    const double until = cpu_clock() + 0.4;
    volatile uint64_t x = 0;
    while (cpu_clock() < until) x = x + 1;
  }).join();
  const double spent = cpu_clock() - clock_before;
  const double counted = *read_process_stats().cpu_seconds - before;
  EXPECT_GE(spent, 0.4);
  EXPECT_NEAR(counted, spent, 0.08);  // both ends rounded to clock ticks
}

TEST(ProcessMetricsTest, ThreadsCountLiveThreads) {
  const double before = *read_process_stats().threads;
  std::promise<void> go;
  std::thread t([f = go.get_future()]() mutable { f.wait(); });
  const double during = *read_process_stats().threads;
  go.set_value();
  t.join();
  EXPECT_EQ(during, before + 1);
  EXPECT_EQ(*read_process_stats().threads, before);
}

// name -> (TYPE line count, sample lines), from the text format.
struct Seen {
  int types = 0;
  std::vector<std::string> samples;
};
std::map<std::string, Seen> families(const std::string& text) {
  std::map<std::string, Seen> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# TYPE ")) {
      std::istringstream f(line.substr(7));
      std::string name;
      f >> name;
      ++out[name].types;
    } else if (!line.empty() && line[0] != '#') {
      out[line.substr(0, line.find_first_of(" {"))].samples.push_back(line);
    }
  }
  return out;
}

TEST(ProcessMetricsTest, EveryRegistryRendersThemOnce) {
  MetricsRegistry m;
  m.counter("clickagg_things_total", "Things.").inc(2);
  const std::string text = m.render();
  const auto f = families(text);
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                           "process_open_fds", "process_max_fds", "process_start_time_seconds", "process_threads"}) {
    ASSERT_TRUE(f.contains(name)) << name << " missing from\n" << text;
    EXPECT_EQ(f.at(name).types, 1) << name;
    EXPECT_EQ(f.at(name).samples.size(), 1u) << name;
  }
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("clickagg_things_total 2\n"), std::string::npos) << text;
  rlimit nofile{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &nofile), 0);
  EXPECT_EQ(f.at("process_max_fds").samples[0], "process_max_fds " + std::to_string(nofile.rlim_cur));

  const std::string bare = MetricsRegistry(MetricsRegistry::ProcessMetrics::Omit).render();
  EXPECT_EQ(bare.find("process_"), std::string::npos) << bare;
}

TEST(ProcessMetricsTest, ValuesThatCannotBeReadAreLeftOut) {
  ProcessStats s;
  EXPECT_EQ(render_process_metrics(s), "");
  s.open_fds = 12;
  EXPECT_EQ(render_process_metrics(s),
            "# HELP process_open_fds Number of open file descriptors.\n"
            "# TYPE process_open_fds gauge\n"
            "process_open_fds 12\n");
}

}  // namespace
}  // namespace clickagg::metrics
