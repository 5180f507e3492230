// Batch: the engine's own columns (EventColumns) with every column a zero-copy NumPy view, so
// a decoded batch goes to an engine without a copy. Batches from Python columns are built
// through the same validation and derivations as decoded ones.
#include <pybind11/stl.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bindings/src/bindings.h"
#include "host/common/country.h"
#include "host/common/ip.h"
#include "host/common/time_util.h"
#include "host/decode/decode.h"
#include "host/decode/record_decoder.h"
#include "host/decode/event_columns.h"
#include "host/decode/event_time_bound.h"
#include "host/decode/field_rules.h"
#include "host/decode/utf8.h"

namespace clickagg::py {

namespace {

// A read-only view of `col` that keeps `owner` (the Batch) alive.
template <class T>
pb::array view(const Column<T>& col, const pb::object& owner) {
  pb::array a(pb::dtype::of<T>(), {static_cast<pb::ssize_t>(col.size())}, {static_cast<pb::ssize_t>(sizeof(T))},
              col.data(), owner);
  pb::detail::array_proxy(a.ptr())->flags &= ~pb::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

pb::array bytes_view(const void* data, std::vector<pb::ssize_t> shape, std::vector<pb::ssize_t> strides,
                     const pb::object& owner) {
  pb::array a(pb::dtype::of<uint8_t>(), std::move(shape), std::move(strides), data, owner);
  pb::detail::array_proxy(a.ptr())->flags &= ~pb::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// Element i of a sequence of str or bytes (a list, or a NumPy array of kind U, S or O).
std::string text_at(const pb::sequence& seq, size_t i, const char* column) {
  const pb::object v = seq[i];
  if (pb::isinstance<pb::bytes>(v)) return v.cast<std::string>();
  if (pb::isinstance<pb::str>(v)) return v.cast<std::string>();
  // NumPy scalars of kind S and U.
  if (pb::hasattr(v, "decode") && !pb::isinstance<pb::str>(v)) return pb::bytes(v).cast<std::string>();
  throw pb::type_error(std::string(column) + "[" + std::to_string(i) + "]: expected str or bytes");
}

[[noreturn]] void bad_row(size_t i, const std::string& what) {
  throw pb::value_error("row " + std::to_string(i) + ": " + what);
}

}  // namespace

// Columns by name, as Python users hold them: t_ms (int64 ms), ad_id, user_id, ip, country
// (text), click_id (text, optional; "" for none) and position (optional; default the row).
std::unique_ptr<EventColumns> batch_from_columns(const pb::dict& cols) {
  for (const char* need : {"t_ms", "ad_id", "user_id", "ip", "country"})
    if (!cols.contains(need)) throw pb::value_error(std::string("missing column '") + need + "'");
  const auto t = pb::array_t<int64_t, pb::array::c_style | pb::array::forcecast>::ensure(cols["t_ms"]);
  if (!t || t.ndim() != 1) throw pb::value_error("t_ms: a one-dimensional array of int64 milliseconds");
  const size_t n = static_cast<size_t>(t.shape(0));
  auto seq = [&](const char* name) {
    pb::object o = cols[name];
    if (pb::isinstance<pb::array>(o)) o = o.attr("tolist")();
    pb::sequence s = o.cast<pb::sequence>();
    if (s.size() != n) throw pb::value_error(std::string(name) + ": " + std::to_string(s.size()) + " rows, t_ms has " +
                                             std::to_string(n));
    return s;
  };
  const pb::sequence ad = seq("ad_id"), user = seq("user_id"), ip = seq("ip"), country = seq("country");
  std::optional<pb::sequence> click;
  if (cols.contains("click_id")) click = seq("click_id");
  std::optional<pb::array_t<uint64_t, pb::array::c_style | pb::array::forcecast>> pos;
  if (cols.contains("position")) {
    pos = pb::array_t<uint64_t, pb::array::c_style | pb::array::forcecast>::ensure(cols["position"]);
    if (!*pos || pos->ndim() != 1 || static_cast<size_t>(pos->shape(0)) != n)
      throw pb::value_error("position: one uint64 per row");
  }
  auto out = std::make_unique<EventColumns>();
  const auto tv = t.unchecked<1>();
  for (size_t i = 0; i < n; ++i) {
    const std::string a = text_at(ad, i, "ad_id"), u = text_at(user, i, "user_id");
    const std::string c = click ? text_at(*click, i, "click_id") : std::string();
    // The decoders' rules: a batch from columns means what a decoded one would.
    if (const DecodeStatus e = check_ad_id(a)) bad_row(i, e);
    if (const DecodeStatus e = check_user_id(u)) bad_row(i, e);
    for (const std::string* s : {&a, &u, &c})
      if (!valid_utf8(s->data(), s->size())) bad_row(i, "invalid UTF-8");
    Event ev;
    ev.ad_id = a;
    ev.user_id = u;
    ev.click_id = c;
    ev.t_ms = tv(static_cast<pb::ssize_t>(i));
    if (!parse_ip(text_at(ip, i, "ip"), ev.ip)) bad_row(i, "bad ip");
    if (!normalize_country(text_at(country, i, "country"), ev.country)) bad_row(i, "bad country");
    ev.position = pos ? pos->at(static_cast<pb::ssize_t>(i)) : i;
    try {
      out->append(ev);
    } catch (const std::invalid_argument& e) {
      bad_row(i, e.what());
    }
  }
  return out;
}

namespace {

Format format_of(const std::string& name) {
  const auto f = parse_format(name);
  if (!f) throw pb::value_error("bad format '" + name + "' (log, json, binary or auto)");
  return *f;
}

// decode(): every record of `data`; rejects as (position, reason) with the batch command's
// positions ("line N" for text, byte offsets for binary).
pb::tuple decode(const pb::bytes& data, const std::string& format, const pb::object& now,
                 const pb::object& max_future) {
  const Format f = format_of(format);
  const std::string_view bytes = data;  // the Python object outlives this call
  std::optional<int64_t> bound_ms;
  if (!max_future.is_none()) bound_ms = duration_ms(max_future.cast<std::string>(), "max_future");
  const int64_t now_ms = now.is_none() ? wall_ms() : now.cast<int64_t>();
  const EventTimeBound bound(now_ms, bound_ms);
  auto batch = std::make_unique<EventColumns>();
  std::vector<uint64_t> positions;
  std::vector<std::string> reasons;
  {
    pb::gil_scoped_release release;
    RecordDecoder decoder(f);
    RecordSplitter splitter(bytes, f);
    RecordRef rec;
    while (splitter.next(rec)) {
      if (const DecodeStatus err = decoder.into(*batch, rec, bound)) {
        positions.push_back(rec.position);
        reasons.emplace_back(err);
      }
    }
  }
  pb::array_t<uint64_t> pos(static_cast<pb::ssize_t>(positions.size()));
  std::memcpy(pos.mutable_data(), positions.data(), positions.size() * sizeof(uint64_t));
  pb::list why;
  for (const auto& r : reasons) why.append(r);
  return pb::make_tuple(pb::cast(std::move(batch)), pos, why);
}

}  // namespace

void register_batch(pb::module_& m) {
  pb::class_<EventColumns>(m, "Batch",
                           "A micro-batch in the engine's columnar layout. Column properties are read-only "
                           "NumPy views of the batch's own buffers (no copy), valid while the batch lives.")
      .def(pb::init<>())
      .def_static("from_columns", &batch_from_columns, pb::arg("columns"),
                  "A batch from Python columns: t_ms, ad_id, user_id, ip, country, optional click_id and "
                  "position. Rows are validated as decoders validate records (ValueError names the row).")
      .def("__len__", &EventColumns::size)
      .def_property_readonly("t_ms", [](pb::object s) { return view(s.cast<EventColumns&>().t_ms, s); })
      .def_property_readonly("position", [](pb::object s) { return view(s.cast<EventColumns&>().position, s); })
      .def_property_readonly("ad_hash", [](pb::object s) { return view(s.cast<EventColumns&>().ad_hash, s); })
      .def_property_readonly("ad_off", [](pb::object s) { return view(s.cast<EventColumns&>().ad_off, s); })
      .def_property_readonly("ad_len", [](pb::object s) { return view(s.cast<EventColumns&>().ad_len, s); })
      .def_property_readonly("user_hash", [](pb::object s) { return view(s.cast<EventColumns&>().user_hash, s); })
      .def_property_readonly("user_off", [](pb::object s) { return view(s.cast<EventColumns&>().user_off, s); })
      .def_property_readonly("user_len", [](pb::object s) { return view(s.cast<EventColumns&>().user_len, s); })
      .def_property_readonly("country_index", [](pb::object s) { return view(s.cast<EventColumns&>().country, s); })
      .def_property_readonly("ip",
                             [](pb::object s) {
                               const auto& b = s.cast<EventColumns&>();
                               return bytes_view(b.ip.data(), {static_cast<pb::ssize_t>(b.size()), 16}, {16, 1}, s);
                             })
      .def_property_readonly("text",
                             [](pb::object s) {
                               const auto& b = s.cast<EventColumns&>();
                               return bytes_view(b.text.data(), {static_cast<pb::ssize_t>(b.text.size())}, {1}, s);
                             })
      .def("ad_id", [](const EventColumns& b, size_t i) {
        if (i >= b.size()) throw pb::index_error("row out of range");
        return pb::bytes(std::string(b.ad_id(i)));
      })
      .def("user_id", [](const EventColumns& b, size_t i) {
        if (i >= b.size()) throw pb::index_error("row out of range");
        return pb::bytes(std::string(b.user_id(i)));
      })
      .def("country", [](const EventColumns& b, size_t i) {
        if (i >= b.size()) throw pb::index_error("row out of range");
        return std::string(b.country_of(i).view());
      });
  m.def("_decode", &decode, pb::arg("data"), pb::arg("format"), pb::arg("now"), pb::arg("max_future"));
}

}  // namespace clickagg::py
