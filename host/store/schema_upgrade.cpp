#include "host/store/schema_upgrade.h"

#include <algorithm>
#include <string>

#include "host/store/schema.h"

namespace clickagg::store {

namespace {

int64_t one_integer(SqlConnection& conn, const char* sql) {
  int64_t value = 0;
  conn.run_once(sql, {}, [&](const Row& r) { value = r.integer(0); });
  return value;
}

// The version as recorded; -1 when there is no record yet.
int recorded_version(SqlConnection& conn, const Dialect& d) {
  if (d.version_exists && one_integer(conn, d.version_exists) == 0) return -1;
  return static_cast<int>(one_integer(conn, d.read_version));
}

int shared_version(int recorded, const Dialect& d) {
  for (const auto& [legacy, shared] : d.legacy_versions)
    if (recorded == legacy) return shared;
  return recorded;
}

void check_not_newer(SqlConnection& conn, int recorded) {
  if (recorded > kSchemaVersion)
    throw StoreError("database " + conn.where() + " has schema version " + std::to_string(recorded) +
                     ", newer than this build's " + std::to_string(kSchemaVersion));
}

void check_ours(SqlConnection& conn, const Dialect& d, int version) {
  if (version == 0 && d.foreign_objects && one_integer(conn, d.foreign_objects) != 0)
    throw StoreError("database " + conn.where() + " is not a clickagg database");
}

std::string with_version(const char* templ, int version) {
  std::string sql = templ;
  const std::string token = "{version}";
  sql.replace(sql.find(token), token.size(), std::to_string(version));
  return sql;
}

}  // namespace

void prepare_writer(SqlConnection& conn, const Dialect& d) {
  if (d.writer_session) conn.exec(d.writer_session);
  int recorded = recorded_version(conn, d);
  check_not_newer(conn, recorded);
  if (recorded == kSchemaVersion) return;  // current: no write lock taken
  Transaction tx(conn, d.begin_migration);
  recorded = recorded_version(conn, d);  // re-read under the lock: another writer may have won
  check_not_newer(conn, recorded);
  if (recorded != kSchemaVersion) {
    const int version = std::max(shared_version(recorded, d), 0);
    check_ours(conn, d, version);
    for (int v = version; v < kSchemaVersion; ++v) conn.exec(migration_sql(v, d.types).c_str());
    conn.exec(with_version(d.write_version, kSchemaVersion).c_str());
  }
  tx.commit();
}

void check_reader(SqlConnection& conn, const Dialect& d) {
  if (d.reader_session) conn.exec(d.reader_session);
  const int recorded = recorded_version(conn, d);
  check_not_newer(conn, recorded);
  const int version = recorded < 0 ? recorded : shared_version(recorded, d);
  check_ours(conn, d, version);
  if (version != kSchemaVersion)
    throw StoreError("database " + conn.where() + " has " +
                     (version < 0 ? std::string("no clickagg schema") : "schema version " + std::to_string(version)) +
                     "; open it once as a writer to create or upgrade it");
}

}  // namespace clickagg::store
