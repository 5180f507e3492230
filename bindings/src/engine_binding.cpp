// Engine: an engine over batches, results as NumPy structured arrays. The GIL is released
// while the engine runs, so Python threads (a feeder, a subscriber) go on meanwhile.
#include <pybind11/stl.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "bindings/src/bindings.h"
#include "bindings/src/results_binding.h"
#include "host/engines/engines.h"

namespace clickagg::py {

namespace {

class PyEngine {
 public:
  PyEngine(const std::string& kind, const pb::object& filters, const std::string& delay,
           const std::string& allowed_lateness, uint32_t top, const pb::object& topn_windows, unsigned threads,
           const std::string& idle_timeout)
      : config_(engine_config(filters, delay, allowed_lateness, top, topn_windows, threads, pb::none())) {
    config_.idle_timeout_ms = duration_ms(idle_timeout, "idle_timeout");
    try {
      engine_ = make_engine(engine_kind(kind), config_);
    } catch (const std::runtime_error& e) {
      throw pb::value_error(e.what());  // no usable GPU for kind="gpu"
    }
  }

  pb::dict process(uint32_t partition, const pb::object& batch, int64_t now_ms) {
    // A Batch goes to the engine as it is; columns from Python are validated and derived first.
    std::unique_ptr<EventColumns> built;
    const EventColumns* cols = nullptr;
    if (pb::isinstance<EventColumns>(batch)) {
      cols = &batch.cast<const EventColumns&>();
    } else if (pb::isinstance<pb::dict>(batch)) {
      built = batch_from_columns(batch.cast<pb::dict>());
      cols = built.get();
    } else {
      throw pb::type_error("batch: a clickagg.Batch or a dict of columns");
    }
    pb::gil_scoped_release release;
    const std::lock_guard lock(mu_);
    engine_->process(partition, *cols, now_ms, sink_);
    pb::gil_scoped_acquire acquire;  // take() builds the arrays
    return sink_.take();
  }

  pb::dict tick(int64_t now_ms) {
    pb::gil_scoped_release release;
    const std::lock_guard lock(mu_);
    engine_->tick(now_ms, sink_);
    pb::gil_scoped_acquire acquire;
    return sink_.take();
  }

  pb::dict finish() {
    pb::gil_scoped_release release;
    const std::lock_guard lock(mu_);
    engine_->finish(sink_);
    pb::gil_scoped_acquire acquire;
    return sink_.take();
  }

  void drop_partition(uint32_t p) {
    pb::gil_scoped_release release;
    const std::lock_guard lock(mu_);
    engine_->drop_partition(p);
  }

  pb::dict stats() const {
    EngineStats s;
    {
      pb::gil_scoped_release release;
      const std::lock_guard lock(mu_);
      s = engine_->stats();
    }
    pb::dict d = counters_dict(s);
    d["watermark_ms"] = s.watermark_ms == INT64_MIN ? pb::object(pb::none()) : pb::int_(s.watermark_ms);
    return d;
  }

  pb::bytes save_state() const {
    std::ostringstream out;
    {
      pb::gil_scoped_release release;
      const std::lock_guard lock(mu_);
      engine_->save_state(out);
    }
    return pb::bytes(out.str());
  }

  void restore_state(const pb::bytes& state) {
    std::istringstream in(std::string(state), std::ios::binary);
    std::string error;
    {
      pb::gil_scoped_release release;
      const std::lock_guard lock(mu_);
      try {
        engine_->restore_state(in);
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    if (!error.empty()) throw pb::value_error("cannot restore: " + error);
  }

  std::string name() const { return std::string(engine_->name()); }

 private:
  EngineConfig config_;
  std::unique_ptr<Engine> engine_;
  CollectingSink sink_;
  // One call at a time: the GIL is released while the engine runs, so two Python threads
  // could otherwise enter it together. Taken only with the GIL released, never while holding it.
  mutable std::mutex mu_;
};

// The reference for bench/python_overhead.py: the same engine over the same batches with no
// Python between them, results consumed by a C++ sink; seconds per process() call.
class CountingSink final : public ResultSink {
 public:
  void on_window(const WindowResult& w) override { rows += w.rows.size(); }
  void on_topn(const TopNList& t) override { rows += t.entries.size(); }
  void on_late(const LateRecord&) override { ++rows; }
  size_t rows = 0;
};

std::vector<double> engine_seconds(const std::vector<const EventColumns*>& batches, const std::string& kind,
                                   uint32_t top, const pb::object& topn_windows, unsigned threads) {
  const EngineConfig c = engine_config(pb::none(), "15s", "10m", top, topn_windows, threads, pb::none());
  const auto engine = make_engine(engine_kind(kind), c);
  std::vector<double> secs;
  pb::gil_scoped_release release;
  CountingSink sink;
  for (const EventColumns* b : batches) {
    const auto t0 = std::chrono::steady_clock::now();
    engine->process(0, *b, 0, sink);
    secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return secs;
}

}  // namespace

void register_engine(pb::module_& m) {
  m.def("_engine_seconds", &engine_seconds, pb::arg("batches"), pb::arg("kind"), pb::arg("top"),
        pb::arg("topn_windows"), pb::arg("threads"));
  pb::class_<PyEngine>(m, "Engine")
      .def(pb::init<const std::string&, const pb::object&, const std::string&, const std::string&, uint32_t,
                    const pb::object&, unsigned, const std::string&>(),
           pb::arg("kind") = "auto", pb::arg("filters") = pb::none(), pb::arg("delay") = "15s",
           pb::arg("allowed_lateness") = "10m", pb::arg("top") = 100,
           pb::arg("topn_windows") = std::vector<uint32_t>{1, 5, 60}, pb::arg("threads") = 0,
           pb::arg("idle_timeout") = "60s")
      .def("process", &PyEngine::process, pb::arg("partition"), pb::arg("batch"), pb::arg("now_ms") = 0)
      .def("tick", &PyEngine::tick, pb::arg("now_ms"))
      .def("finish", &PyEngine::finish)
      .def("drop_partition", &PyEngine::drop_partition, pb::arg("partition"))
      .def_property_readonly("stats", &PyEngine::stats)
      .def_property_readonly("name", &PyEngine::name)
      .def("save_state", &PyEngine::save_state)
      .def("restore_state", &PyEngine::restore_state, pb::arg("state"));
}

}  // namespace clickagg::py
