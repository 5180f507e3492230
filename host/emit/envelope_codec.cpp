#include "host/emit/envelope_codec.h"

#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "clickagg_results.pb.h"
#include "host/common/time_util.h"

namespace clickagg::emit {

namespace {

namespace pb = clickagg::wire::v1;

constexpr uint32_t kVersion = 1;

void to_wire(const WindowResult& w, pb::WindowCounts& out) {
  out.set_minute(w.minute);
  out.set_minute_label(minute_to_yyyymmddhhmm(w.minute));
  out.set_correction(w.correction);
  if (w.partition) out.set_partition(*w.partition);
  out.mutable_rows()->Reserve(static_cast<int>(w.rows.size()));
  for (const CountRow& r : w.rows) {
    pb::CountRow* row = out.add_rows();
    const std::string_view ad = w.ad_id(r);
    row->set_ad_id(ad.data(), ad.size());
    row->set_filter_id(r.filter_id);
    row->set_count(r.count);
  }
}

void to_wire(const TopNList& t, pb::TopNList& out) {
  out.set_minute(t.minute);
  out.set_minute_label(minute_to_yyyymmddhhmm(t.minute));
  out.set_window(t.window);
  out.set_filter_id(t.filter_id);
  out.set_correction(t.correction);
  if (t.partition) out.set_partition(*t.partition);
  out.set_top_n(t.top_n);
  out.mutable_entries()->Reserve(static_cast<int>(t.entries.size()));
  for (const TopNEntry& e : t.entries) {
    pb::TopNEntry* entry = out.add_entries();
    const std::string_view ad = t.ad_id(e);
    entry->set_ad_id(ad.data(), ad.size());
    entry->set_count(e.count);
  }
}

void to_wire(const LateRecord& r, pb::LateEvent& out) {
  out.set_partition(r.partition);
  out.set_offset(r.position);
  out.set_ad_id(r.ad_id);
  out.set_event_time_ms(r.t_ms);
  out.set_watermark_ms(r.watermark_ms);
}

void to_wire(const RejectRecord& r, pb::Reject& out) {
  out.set_partition(r.partition);
  out.set_offset(r.offset);
  out.set_reason(r.reason);
  out.set_record(r.record);
}

// The counters by name through the message's reflection: the wire's field names are
// kCounterFields' names (a progress message goes once per round, so its cost does not matter).
const google::protobuf::FieldDescriptor& counter_field(const CounterField& f) {
  const google::protobuf::FieldDescriptor* d = pb::Progress::descriptor()->FindFieldByName(f.name);
  if (!d) throw std::logic_error(std::string("clickagg_results.proto has no Progress.") + f.name);
  return *d;
}

void to_wire(const ProgressRecord& p, pb::Progress& out) {
  for (const CounterField& f : kCounterFields) out.GetReflection()->SetUInt64(&out, &counter_field(f), p.*f.member);
  if (p.consumer_lag) out.set_consumer_lag(*p.consumer_lag);
  if (p.watermark_ms) out.set_watermark_ms(*p.watermark_ms);
  if (p.partition) out.set_partition(*p.partition);
}

// Filter ids are 16-bit in the engines; the wire carries them as uint32 for room to grow,
// so a larger value is malformed input for this version.
bool filter_id_from_wire(uint32_t v, uint16_t& out) {
  if (v > std::numeric_limits<uint16_t>::max()) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

bool from_wire(const pb::WindowCounts& w, WindowResult& out, std::string& err) {
  out.minute = w.minute();
  out.correction = w.correction();
  if (w.has_partition()) out.partition = w.partition();
  auto names = std::make_shared<AdNames>();
  out.rows.reserve(static_cast<size_t>(w.rows_size()));
  for (const pb::CountRow& r : w.rows()) {
    CountRow row{names->add(r.ad_id()), 0, r.count()};
    if (!filter_id_from_wire(r.filter_id(), row.filter_id)) {
      err = "filter_id out of range";
      return false;
    }
    out.rows.push_back(row);
  }
  out.names = std::move(names);
  return true;
}

bool from_wire(const pb::TopNList& t, TopNList& out, std::string& err) {
  out.minute = t.minute();
  out.window = t.window();
  out.correction = t.correction();
  if (t.has_partition()) out.partition = t.partition();
  out.top_n = t.top_n();
  if (!filter_id_from_wire(t.filter_id(), out.filter_id)) {
    err = "filter_id out of range";
    return false;
  }
  auto names = std::make_shared<AdNames>();
  out.entries.reserve(static_cast<size_t>(t.entries_size()));
  for (const pb::TopNEntry& e : t.entries()) out.entries.push_back(TopNEntry{names->add(e.ad_id()), e.count()});
  out.names = std::move(names);
  return true;
}

LateRecord from_wire(const pb::LateEvent& l) {
  return LateRecord{l.partition(), l.offset(), l.ad_id(), l.event_time_ms(), l.watermark_ms()};
}

RejectRecord from_wire(const pb::Reject& r) {
  return RejectRecord{r.partition(), r.offset(), r.reason(), r.record()};
}

ProgressRecord from_wire(const pb::Progress& p) {
  ProgressRecord out;
  for (const CounterField& f : kCounterFields) out.*f.member = p.GetReflection()->GetUInt64(p, &counter_field(f));
  if (p.has_consumer_lag()) out.consumer_lag = p.consumer_lag();
  if (p.has_watermark_ms()) out.watermark_ms = p.watermark_ms();
  if (p.has_partition()) out.partition = p.partition();
  return out;
}

}  // namespace

std::string encode(const Envelope& env) {
  pb::Envelope out;
  out.set_version(kVersion);
  out.set_producer(env.producer);
  out.set_seq(env.seq);
  std::visit(
      [&out](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, WindowResult>) to_wire(body, *out.mutable_window());
        else if constexpr (std::is_same_v<T, TopNList>) to_wire(body, *out.mutable_topn());
        else if constexpr (std::is_same_v<T, LateRecord>) to_wire(body, *out.mutable_late());
        else if constexpr (std::is_same_v<T, RejectRecord>) to_wire(body, *out.mutable_reject());
        else to_wire(body, *out.mutable_progress());
      },
      env.body);
  return out.SerializeAsString();
}

std::optional<Envelope> decode(std::string_view bytes, std::string* error) {
  std::string err;
  auto fail = [&](std::string why) -> std::optional<Envelope> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return fail("envelope too large");
  pb::Envelope in;
  if (!in.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return fail("not a protobuf Envelope");
  if (in.version() != kVersion)
    return fail("unsupported envelope version " + std::to_string(in.version()));

  Envelope env;
  env.producer = in.producer();
  env.seq = in.seq();
  switch (in.body_case()) {
    case pb::Envelope::kWindow: {
      WindowResult w;
      if (!from_wire(in.window(), w, err)) return fail(err);
      env.body = std::move(w);
      break;
    }
    case pb::Envelope::kTopn: {
      TopNList t;
      if (!from_wire(in.topn(), t, err)) return fail(err);
      env.body = std::move(t);
      break;
    }
    case pb::Envelope::kLate:
      env.body = from_wire(in.late());
      break;
    case pb::Envelope::kReject:
      env.body = from_wire(in.reject());
      break;
    case pb::Envelope::kProgress:
      env.body = from_wire(in.progress());
      break;
    case pb::Envelope::BODY_NOT_SET:
      return fail("envelope without a body");
  }
  return env;
}

std::string topic_of(const Body& body) {
  return std::visit(
      [](const auto& b) -> std::string {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, WindowResult>) return "counts." + format_minute(b.minute);
        else if constexpr (std::is_same_v<T, TopNList>)
          return "topn." + std::to_string(b.window) + "." + std::to_string(b.filter_id);
        else if constexpr (std::is_same_v<T, LateRecord>) return "late." + std::to_string(b.partition);
        else if constexpr (std::is_same_v<T, RejectRecord>) return "reject." + std::to_string(b.partition);
        else return "progress";
      },
      body);
}

}  // namespace clickagg::emit
