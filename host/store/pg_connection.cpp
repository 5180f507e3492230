#include "host/store/pg_connection.h"

#include <libpq-fe.h>

#include <charconv>

#include "host/store/aggregate_store.h"

namespace clickagg::store::pg {

namespace {

std::string trimmed(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void ignore_notice(void*, const char*) {
  // "relation already exists, skipping" and the like: expected, not worth a line on stderr.
}

template <typename T>
T parse(std::string_view t, const char* what) {
  T v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc{} || p != t.data() + t.size())
    throw StoreError(std::string("not ") + what + " from the database: " + std::string(t));
  return v;
}

class ResultRow final : public Row {
 public:
  ResultRow(const Result& r, int row) : r_(r), row_(row) {}
  int64_t integer(int col) const override { return parse<int64_t>(text(col), "an integer"); }
  uint64_t count(int col) const override {
    const std::string_view t = text(col);
    return !t.empty() && t[0] == '-' ? 0 : parse<uint64_t>(t, "a count");
  }
  std::string_view text(int col) const override { return r_.text(row_, col); }
  bool is_null(int col) const override { return r_.is_null(row_, col); }

 private:
  const Result& r_;
  int row_;
};

// "{"a","b\"c"}": a text[] literal with every element quoted.
std::string text_array(std::span<const std::string_view> items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

// "{1,2,3}"
std::string int_array(std::span<const int64_t> items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(items[i]);
  }
  out += '}';
  return out;
}

// Parameters as libpq takes them: text values and bytes in binary format, pointing at the
// caller's memory; numbers and arrays spelled out in text format.
class Wire {
 public:
  explicit Wire(std::span<const Value> params) {
    spelled_.reserve(params.size());  // no reallocation: values_ points into these strings
    for (const Value& v : params) {
      if (const auto* t = std::get_if<std::string_view>(&v)) {
        binary(*t);
      } else if (const auto* b = std::get_if<Bytes>(&v)) {
        binary(b->data);
      } else if (const auto* i = std::get_if<int64_t>(&v)) {
        spelled(std::to_string(*i));
      } else if (const auto* ints = std::get_if<std::span<const int64_t>>(&v)) {
        spelled(int_array(*ints));
      } else {
        spelled(text_array(std::get<std::span<const std::string_view>>(v)));
      }
    }
  }
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void binary(std::string_view bytes) {
    values_.push_back(bytes.data() ? bytes.data() : "");  // a null pointer would mean NULL
    lengths_.push_back(static_cast<int>(bytes.size()));
    formats_.push_back(1);
  }
  void spelled(std::string text) {
    spelled_.push_back(std::move(text));
    values_.push_back(spelled_.back().c_str());
    lengths_.push_back(static_cast<int>(spelled_.back().size()));
    formats_.push_back(0);
  }

  std::vector<std::string> spelled_;
  std::vector<const char*> values_;
  std::vector<int> lengths_, formats_;
};

void each_row(const Result& r, const OnRow& on_row) {
  if (!on_row) return;
  for (int i = 0; i < r.rows(); ++i) on_row(ResultRow(r, i));
}

}  // namespace

Result::~Result() { PQclear(r_); }

int Result::rows() const { return PQntuples(r_); }

int Result::columns() const { return PQnfields(r_); }

bool Result::is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }

std::string_view Result::text(int row, int col) const {
  return {PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col))};
}

Connection::Connection(const std::string& uri) {
  conn_ = PQconnectdb(uri.c_str());
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    const std::string msg = conn_ ? trimmed(PQerrorMessage(conn_)) : "out of memory";
    PQfinish(conn_);
    conn_ = nullptr;
    throw StoreError("cannot connect to PostgreSQL: " + msg);
  }
  where_ = std::string(PQhost(conn_)) + ":" + PQport(conn_) + "/" + PQdb(conn_);
  PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  use_utf8();
}

Connection::~Connection() { PQfinish(conn_); }

void Connection::use_utf8() {
  if (PQsetClientEncoding(conn_, "UTF8") != 0)
    throw StoreError("PostgreSQL " + where_ + ": cannot use UTF8 client encoding");
}

Result Connection::check(pg_result* r, const char* what) const {
  Result res(r);
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    throw StoreError(std::string(what) + " failed (PostgreSQL " + where_ + "): " +
                     trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_)));
  return res;
}

void Connection::exec(const char* sql) { check(PQexec(conn_, sql), "statement"); }

Result Connection::query(const char* sql) { return check(PQexec(conn_, sql), "query"); }

int Connection::prepare(const char* name, const char* sql) {
  check(PQprepare(conn_, name, sql, 0, nullptr), "prepare");
  prepared_.push_back({name, sql});
  return static_cast<int>(prepared_.size() - 1);
}

void Connection::run(int statement, std::span<const Value> params, const OnRow& on_row) {
  const Prepared& p = prepared_.at(static_cast<size_t>(statement));
  const Wire wire(params);
  each_row(check(PQexecPrepared(conn_, p.name.c_str(), wire.size(), wire.values(), wire.lengths(),
                                wire.formats(), 0),
                 p.name.c_str()),
           on_row);
}

void Connection::run_once(const char* sql, std::span<const Value> params, const OnRow& on_row) {
  const Wire wire(params);
  each_row(check(PQexecParams(conn_, sql, wire.size(), nullptr, wire.values(), wire.lengths(),
                              wire.formats(), 0),
                 "query"),
           on_row);
}

void Connection::repair() {
  if (PQstatus(conn_) == CONNECTION_OK) return;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK)
    throw StoreError("lost the connection to PostgreSQL " + where_ + ": " + trimmed(PQerrorMessage(conn_)));
  use_utf8();
  for (const Prepared& p : prepared_) check(PQprepare(conn_, p.name.c_str(), p.sql.c_str(), 0, nullptr), "prepare");
}

}  // namespace clickagg::store::pg
