// Engine stage times on /metrics: what an engine reports through Engine::stage_seconds is
// rendered as clickagg_engine_stage_seconds_total{stage=...}.
#include "host/stream/engine_stage_probe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace clickagg::stream {
namespace {

// The CPU engine with stage times of its own making: the GPU engine's extension point, on a
// machine without a GPU.
class TimedEngine final : public Engine {
 public:
  explicit TimedEngine(std::unique_ptr<Engine> inner) : inner_(std::move(inner)) {}
  std::string_view name() const override { return inner_->name(); }
  using Engine::process;
  void process(uint32_t p, const EventColumns& ev, int64_t now_ms, ResultSink& sink) override {
    inner_->process(p, ev, now_ms, sink);
  }
  void tick(int64_t now_ms, ResultSink& sink) override { inner_->tick(now_ms, sink); }
  void finish(ResultSink& sink) override { inner_->finish(sink); }
  void drop_partition(uint32_t p) override { inner_->drop_partition(p); }
  EngineStats stats() const override { return inner_->stats(); }
  void save_state(std::ostream& out) const override { inner_->save_state(out); }
  void restore_state(std::istream& in) override { inner_->restore_state(in); }
  std::vector<std::pair<std::string, double>> stage_seconds() const override { return stages; }

  std::vector<std::pair<std::string, double>> stages;

 private:
  std::unique_ptr<Engine> inner_;
};

TEST(EngineStageProbe, CpuEngineReportsItsStages) {
  metrics::MetricsRegistry registry;
  EngineStageProbe probe(registry);
  auto engine = make_cpu_engine(EngineConfig{});
  std::vector<std::string> names;
  for (const auto& [stage, secs] : engine->stage_seconds()) {
    names.push_back(stage);
    EXPECT_EQ(secs, 0.0) << stage << " before any batch";
  }
  for (const char* want : {"dedup", "count", "judge", "sort", "emit"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  probe.publish(*engine);
  EXPECT_NE(registry.render().find("clickagg_engine_stage_seconds_total{stage=\"count\"} 0\n"), std::string::npos)
      << registry.render();
}

TEST(EngineStageProbe, RendersCumulativeSecondsPerStage) {
  metrics::MetricsRegistry registry;
  EngineStageProbe probe(registry);
  TimedEngine engine(make_cpu_engine(EngineConfig{}));
  engine.stages = {{"h2d_copy", 0.25}, {"device_chunks", 1.5}};
  probe.publish(engine);
  std::string text = registry.render();
  EXPECT_NE(text.find("# TYPE clickagg_engine_stage_seconds_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("clickagg_engine_stage_seconds_total{stage=\"h2d_copy\"} 0.25\n"), std::string::npos) << text;
  EXPECT_NE(text.find("clickagg_engine_stage_seconds_total{stage=\"device_chunks\"} 1.5\n"), std::string::npos);

  // Later batches: values grow, and a stage first timed later gets its own series.
  engine.stages = {{"h2d_copy", 0.75}, {"device_chunks", 2}, {"emit", 0.125}};
  probe.publish(engine);
  text = registry.render();
  EXPECT_NE(text.find("clickagg_engine_stage_seconds_total{stage=\"h2d_copy\"} 0.75\n"), std::string::npos) << text;
  EXPECT_NE(text.find("clickagg_engine_stage_seconds_total{stage=\"device_chunks\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("clickagg_engine_stage_seconds_total{stage=\"emit\"} 0.125\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("# TYPE clickagg_engine_stage_seconds_total"),
            text.rfind("# TYPE clickagg_engine_stage_seconds_total"))
      << "one family";
}

}  // namespace
}  // namespace clickagg::stream
