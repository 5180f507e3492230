#include "host/store/pg_connection.h"

#include <libpq-fe.h>

#include <charconv>

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

}  // namespace

Params& Params::text(std::string_view v) {
  values_.emplace_back(v);
  formats_.push_back(1);
  return *this;
}

Params& Params::integer(int64_t v) {
  values_.push_back(std::to_string(v));
  formats_.push_back(0);
  return *this;
}

Params& Params::literal(std::string v) {
  values_.push_back(std::move(v));
  formats_.push_back(0);
  return *this;
}

Result::~Result() { PQclear(r_); }

int Result::rows() const { return PQntuples(r_); }

int Result::columns() const { return PQnfields(r_); }

bool Result::is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }

std::string_view Result::text(int row, int col) const {
  return {PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col))};
}

int64_t Result::int64(int row, int col) const {
  const std::string_view t = text(row, col);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc{} || p != t.data() + t.size())
    throw StoreError("not an integer from the database: " + std::string(t));
  return v;
}

uint64_t Result::uint64(int row, int col) const {
  const std::string_view t = text(row, col);
  if (!t.empty() && t[0] == '-') return 0;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc{} || p != t.data() + t.size())
    throw StoreError("not a count from the database: " + std::string(t));
  return v;
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
  if (PQsetClientEncoding(conn_, "UTF8") != 0)
    throw StoreError("PostgreSQL " + where_ + ": cannot use UTF8 client encoding");
}

Connection::~Connection() { PQfinish(conn_); }

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

namespace {
struct Raw {
  std::vector<const char*> values;
  std::vector<int> lengths;
  explicit Raw(const std::vector<std::string>& v) {
    for (const std::string& s : v) {
      values.push_back(s.c_str());
      lengths.push_back(static_cast<int>(s.size()));
    }
  }
};
}  // namespace

Result Connection::query(const char* sql, const Params& params) {
  Raw raw(params.values_);
  return check(PQexecParams(conn_, sql, params.size(), nullptr, raw.values.data(), raw.lengths.data(),
                            params.formats_.data(), 0),
               "query");
}

void Connection::prepare(const char* name, const char* sql) {
  check(PQprepare(conn_, name, sql, 0, nullptr), "prepare");
}

Result Connection::run(const char* name, const Params& params) {
  Raw raw(params.values_);
  return check(PQexecPrepared(conn_, name, params.size(), raw.values.data(), raw.lengths.data(),
                              params.formats_.data(), 0),
               name);
}

bool Connection::reconnect_if_broken() {
  if (PQstatus(conn_) == CONNECTION_OK) return false;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK)
    throw StoreError("lost the connection to PostgreSQL " + where_ + ": " + trimmed(PQerrorMessage(conn_)));
  PQsetClientEncoding(conn_, "UTF8");
  return true;
}

Transaction::Transaction(Connection& conn, const char* begin) : conn_(conn) { conn_.exec(begin); }

Transaction::~Transaction() {
  if (!open_) return;
  try {
    conn_.exec("ROLLBACK");
  } catch (...) {
    // The connection is gone; the server rolls the transaction back by itself.
  }
}

void Transaction::commit() {
  conn_.exec("COMMIT");
  open_ = false;
}

std::string text_array(const std::vector<std::string_view>& items) {
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

std::string int_array(const std::vector<int64_t>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(items[i]);
  }
  out += '}';
  return out;
}

}  // namespace clickagg::store::pg
