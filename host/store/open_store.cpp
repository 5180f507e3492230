#include <optional>
#include <string>
#include <string_view>

#include "host/store/aggregate_store.h"
#include "host/store/dialect.h"
#include "host/store/pg_connection.h"
#include "host/store/sql_store.h"
#include "host/store/sqlite_connection.h"

namespace clickagg::store {

std::optional<std::string> sqlite_path(const std::string& location) {
  constexpr std::string_view kSqlite = "sqlite:";
  const std::string_view loc = location;
  if (loc.starts_with("postgres://") || loc.starts_with("postgresql://")) return std::nullopt;
  return std::string(loc.starts_with(kSqlite) ? loc.substr(kSqlite.size()) : loc);
}

std::unique_ptr<AggregateStore> open_store(const std::string& location, OpenMode mode) {
  const std::optional<std::string> path = sqlite_path(location);
  if (!path) return open_sql_store(std::make_unique<pg::Connection>(location), postgres_dialect(), mode);
  if (path->empty()) throw StoreError("empty database path");
  return open_sql_store(std::make_unique<sqlite::Connection>(*path, /*create=*/mode == OpenMode::Writer),
                        sqlite_dialect(), mode);
}

}  // namespace clickagg::store
