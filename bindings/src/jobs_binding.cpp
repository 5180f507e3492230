// The batch command as a function (the same code as `clickagg aggregate`, host/io/batch_job.h),
// the generator, and the wire format's decoder for subscribers.
#include <pybind11/stl.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "bindings/src/bindings.h"
#include "bindings/src/results_binding.h"
#include "host/common/time_util.h"
#include "host/emit/envelope_codec.h"
#include "host/gen/generator.h"
#include "host/gen/record_writer.h"
#include "host/gen/time_text.h"
#include "host/io/batch_job.h"

namespace clickagg::py {

namespace {

// A FILE* writing into memory (open_memstream), read back as text once closed.
class MemoryFile {
 public:
  MemoryFile() : f_(open_memstream(&buf_, &size_)) {
    if (!f_) throw std::runtime_error("open_memstream failed");
  }
  ~MemoryFile() {
    if (f_) std::fclose(f_);
    std::free(buf_);
  }
  std::FILE* get() { return f_; }
  std::string text() {
    std::fflush(f_);
    return std::string(buf_, size_);
  }

 private:
  char* buf_ = nullptr;
  size_t size_ = 0;
  std::FILE* f_;
};

std::string read_text(const std::filesystem::path& p) {
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) return {};
  std::string s;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
  std::fclose(f);
  return s;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// late.csv back into records (ad ids hold no commas: decoders reject them).
pb::array late_table(const std::string& csv) {
  std::vector<LateEventRecord> rows;
  const auto lines = lines_of(csv);
  for (size_t i = 1; i < lines.size(); ++i) {
    LateEventRecord r{};
    char ad[kMaxAdIdLen + 1] = {};
    unsigned long long pos = 0;
    long long t = 0, wm = 0;
    unsigned part = 0;
    if (std::sscanf(lines[i].c_str(), "%u,%llu,%64[^,],%lld,%lld", &part, &pos, ad, &t, &wm) != 5) continue;
    r.partition = part;
    r.position = pos;
    std::memcpy(r.ad_id, ad, std::strlen(ad));
    r.t_ms = t;
    r.watermark_ms = wm;
    rows.push_back(r);
  }
  pb::array_t<LateEventRecord> a(static_cast<pb::ssize_t>(rows.size()));
  if (!rows.empty()) std::memcpy(a.mutable_data(), rows.data(), rows.size() * sizeof(LateEventRecord));
  return a;
}

pb::dict aggregate(const std::vector<std::string>& inputs, const std::string& format, const std::optional<std::string>& out,
                   const std::string& engine, const pb::object& filters, const std::string& delay,
                   const std::string& allowed_lateness, uint32_t top, const pb::object& topn_windows,
                   unsigned threads, const pb::object& now, const pb::object& max_future, size_t batch_size) {
  if (inputs.empty()) throw pb::value_error("inputs: at least one file");
  BatchJob job;
  job.inputs = inputs;
  const auto f = parse_format(format);
  if (!f) throw pb::value_error("bad format '" + format + "' (log, json, binary or auto)");
  job.format = *f;
  job.batch_size = batch_size;
  job.engine = engine_kind(engine);
  job.config = engine_config(filters, delay, allowed_lateness, top, topn_windows, threads, max_future);
  if (now.is_none()) {
    job.now_ms = wall_ms();
  } else if (pb::isinstance<pb::str>(now)) {
    const auto t = gen::parse_time_text(now.cast<std::string>());
    if (!t) throw pb::value_error("bad now '" + now.cast<std::string>() + "' (ISO-8601 or 'yyyy-mm-dd hh:mm:ss', UTC)");
    job.now_ms = *t;
  } else {
    job.now_ms = now.cast<int64_t>();
  }
  BatchOutcome o;
  std::string rejects, late;
  try {
    pb::gil_scoped_release release;  // from here on, no Python object is touched
    if (out) {
      const std::filesystem::path dir = *out;
      o = run_batch_job_into(job, dir);
      rejects = read_text(dir / "rejects.txt");
      late = read_text(dir / "late.csv");
    } else {
      MemoryFile rf, lf;
      o = run_batch_job(job, rf.get(), lf.get());
      rejects = rf.text();
      late = lf.text();
    }
  } catch (const InputError& e) {
    throw pb::value_error(e.what());
  }
  CollectingSink sink;
  for (const auto& [minute, w] : o.results->windows()) sink.on_window(w);
  for (const auto& [key, t] : o.results->lists()) sink.on_topn(t);
  pb::dict tables = sink.take();
  tables["late"] = late_table(late);
  pb::list reject_lines;
  for (const auto& l : lines_of(rejects)) reject_lines.append(l);
  tables["rejects"] = reject_lines;
  pb::module_ json = pb::module_::import("json");
  tables["summary"] = json.attr("loads")(summary_json(o));
  return tables;
}

pb::bytes generate(uint64_t count, uint64_t seed, const std::string& format, uint64_t ads, double zipf,
                   const std::string& start, double events_per_second, uint64_t users, double out_of_order,
                   double late, double very_late, double duplicates, double malformed) {
  if (count == 0) throw pb::value_error("count: at least 1 (an unbounded stream does not fit in bytes)");
  gen::GenConfig c;
  c.count = count;
  c.seed = seed;
  c.ads = ads;
  c.zipf = zipf;
  const auto t = gen::parse_start_text(start, wall_ms());
  if (!t) throw pb::value_error("bad start '" + start + "' (now, now-3m, ISO-8601 or 'yyyy-mm-dd hh:mm:ss')");
  c.start_ms = *t;
  c.events_per_second = events_per_second;
  c.users = users;
  c.out_of_order = out_of_order;
  c.late = late;
  c.very_late = very_late;
  c.duplicate = duplicates;
  c.malformed = malformed;
  if (const std::string why = gen::validate(c); !why.empty()) throw pb::value_error(why);
  const auto f = parse_format(format);
  if (!f || *f == Format::Auto) throw pb::value_error("bad format '" + format + "' (log, json or binary)");
  std::string out;
  {
    pb::gil_scoped_release release;
    gen::Generator g(c);
    gen::write_records(g, *f, count, out);
  }
  return pb::bytes(out);
}

pb::dict window_dict(const WindowResult& w) {
  pb::dict d;
  d["minute"] = w.minute;
  d["correction"] = w.correction;
  d["partition"] = w.partition ? pb::object(pb::int_(*w.partition)) : pb::object(pb::none());
  pb::list rows;
  for (const CountRow& r : w.rows) rows.append(pb::make_tuple(pb::bytes(std::string(w.ad_id(r))), r.filter_id, r.count));
  d["rows"] = rows;
  return d;
}

pb::dict topn_dict(const TopNList& t) {
  pb::dict d;
  d["minute"] = t.minute;
  d["window"] = t.window;
  d["filter_id"] = t.filter_id;
  d["correction"] = t.correction;
  d["top_n"] = t.top_n;
  d["partition"] = t.partition ? pb::object(pb::int_(*t.partition)) : pb::object(pb::none());
  pb::list entries;
  for (const TopNEntry& e : t.entries) entries.append(pb::make_tuple(pb::bytes(std::string(t.ad_id(e))), e.count));
  d["entries"] = entries;
  return d;
}

// One Envelope as a dict: producer, seq, kind and the body's fields. ValueError with the
// reason for bytes that are not a version-1 Envelope.
pb::dict decode_envelope(const pb::bytes& data) {
  std::string error;
  const auto env = emit::decode(std::string_view(data), &error);
  if (!env) throw pb::value_error(error);
  pb::dict d;
  d["producer"] = env->producer;
  d["seq"] = env->seq;
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, WindowResult>) {
          d["kind"] = "window";
          d["body"] = window_dict(b);
        } else if constexpr (std::is_same_v<T, TopNList>) {
          d["kind"] = "topn";
          d["body"] = topn_dict(b);
        } else if constexpr (std::is_same_v<T, LateRecord>) {
          d["kind"] = "late";
          d["body"] = pb::dict(pb::arg("partition") = b.partition, pb::arg("position") = b.position,
                               pb::arg("ad_id") = pb::bytes(b.ad_id), pb::arg("t_ms") = b.t_ms,
                               pb::arg("watermark_ms") = b.watermark_ms);
        } else if constexpr (std::is_same_v<T, emit::RejectRecord>) {
          d["kind"] = "reject";
          d["body"] = pb::dict(pb::arg("partition") = b.partition, pb::arg("offset") = b.offset,
                               pb::arg("reason") = b.reason, pb::arg("record") = pb::bytes(b.record));
        } else {
          d["kind"] = "progress";
          pb::dict p = counters_dict(b);
          p["consumer_lag"] = b.consumer_lag ? pb::object(pb::int_(*b.consumer_lag)) : pb::object(pb::none());
          p["watermark_ms"] = b.watermark_ms ? pb::object(pb::int_(*b.watermark_ms)) : pb::object(pb::none());
          p["partition"] = b.partition ? pb::object(pb::int_(*b.partition)) : pb::object(pb::none());
          d["body"] = p;
        }
      },
      env->body);
  return d;
}

}  // namespace

void register_jobs(pb::module_& m) {
  m.def("aggregate", &aggregate, pb::arg("inputs"), pb::arg("format") = "auto", pb::arg("out") = pb::none(),
        pb::arg("engine") = "auto", pb::arg("filters") = pb::none(), pb::arg("delay") = "15s",
        pb::arg("allowed_lateness") = "10m", pb::arg("top") = 100,
        pb::arg("topn_windows") = std::vector<uint32_t>{1}, pb::arg("threads") = 0, pb::arg("now") = pb::none(),
        pb::arg("max_future") = "10m", pb::arg("batch_size") = size_t(1) << 20);
  m.def("generate", &generate, pb::arg("count"), pb::arg("seed") = 1, pb::arg("format") = "log",
        pb::arg("ads") = 2'000'000, pb::arg("zipf") = 1.1, pb::arg("start") = "2021-01-01T00:00:00Z",
        pb::arg("events_per_second") = 10'000.0, pb::arg("users") = 1'000'000, pb::arg("out_of_order") = 0.0,
        pb::arg("late") = 0.0, pb::arg("very_late") = 0.0, pb::arg("duplicates") = 0.0,
        pb::arg("malformed") = 0.0);
  m.def("decode_envelope", &decode_envelope, pb::arg("data"));
}

}  // namespace clickagg::py
