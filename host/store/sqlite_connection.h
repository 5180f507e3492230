// The SQL connection over the SQLite C API. Prepared statements are kept for the life of the
// connection and reset after every run; every failure becomes a StoreError that names the
// database file and SQLite's message.
#pragma once
#include <string>
#include <vector>

#include "host/store/sql_connection.h"

struct sqlite3;
struct sqlite3_stmt;

namespace clickagg::store::sqlite {

class Connection final : public SqlConnection {
 public:
  // `create`: create the file when missing.
  Connection(const std::string& path, bool create);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& where() const override { return path_; }
  void exec(const char* sql) override;
  int prepare(const char* name, const char* sql) override;
  void run(int statement, std::span<const Value> params, const OnRow& on_row) override;
  void run_once(const char* sql, std::span<const Value> params, const OnRow& on_row) override;

 private:
  void run(sqlite3_stmt* st, std::span<const Value> params, const OnRow& on_row);
  [[noreturn]] void fail(const char* what) const;

  sqlite3* db_ = nullptr;
  std::string path_;
  std::vector<sqlite3_stmt*> statements_;
};

}  // namespace clickagg::store::sqlite
