// The SQL connection over libpq: named prepared statements (prepared again after a reconnect),
// text values sent in binary format (raw bytes with a length, so an embedded NUL fails loudly
// instead of truncating a C string), numbers and arrays in PostgreSQL's text syntax. Every
// placeholder in the SQL carries an explicit cast ($1::bigint). Every failure becomes a
// StoreError that carries the server's message.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "host/store/sql_connection.h"

struct pg_conn;
struct pg_result;

namespace clickagg::store::pg {

class Result {
 public:
  explicit Result(pg_result* r) : r_(r) {}
  ~Result();
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result& operator=(Result&&) = delete;
  Result(const Result&) = delete;

  int rows() const;
  int columns() const;
  bool is_null(int row, int col) const;
  std::string_view text(int row, int col) const;

 private:
  pg_result* r_;
};

class Connection final : public SqlConnection {
 public:
  // `uri`: a libpq connection URI (postgresql://user@host:port/db?options) or key=value string.
  explicit Connection(const std::string& uri);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& where() const override { return where_; }
  void exec(const char* sql) override;
  int prepare(const char* name, const char* sql) override;
  void run(int statement, std::span<const Value> params, const OnRow& on_row) override;
  void run_once(const char* sql, std::span<const Value> params, const OnRow& on_row) override;
  void repair() override;
  // A statement's whole result, for callers that read PostgreSQL directly (tests, EXPLAIN).
  Result query(const char* sql);

 private:
  Result check(pg_result* r, const char* what) const;
  void use_utf8();

  struct Prepared {
    std::string name, sql;
  };
  pg_conn* conn_ = nullptr;
  std::string where_;
  std::vector<Prepared> prepared_;
};

}  // namespace clickagg::store::pg
