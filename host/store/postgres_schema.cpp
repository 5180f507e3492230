#include "host/store/postgres_schema.h"

#include <string>

namespace clickagg::store::pg {

namespace {

// migrations[v] takes a database from version v to v + 1. The tables mirror the SQLite
// backend's (see sqlite_schema.cpp); ad_id is TEXT COLLATE "C" so that ORDER BY ad_id is byte
// order, the order the engines rank ties by, whatever the database's default collation.
constexpr const char* kMigrations[kSchemaVersion] = {
    R"sql(
CREATE TABLE counts (
  ad_id     TEXT COLLATE "C" NOT NULL,
  minute    BIGINT  NOT NULL,
  filter_id INTEGER NOT NULL,
  count     BIGINT  NOT NULL,
  PRIMARY KEY (filter_id, ad_id, minute)
);
CREATE INDEX counts_by_minute ON counts (minute, filter_id, ad_id) INCLUDE (count);
CREATE TABLE topn (
  minute    BIGINT  NOT NULL,
  "window"  INTEGER NOT NULL,
  filter_id INTEGER NOT NULL,
  rank      INTEGER NOT NULL,
  ad_id     TEXT COLLATE "C" NOT NULL,
  count     BIGINT  NOT NULL,
  PRIMARY KEY (minute, "window", filter_id, rank)
);
CREATE TABLE topn_lists (
  minute    BIGINT  NOT NULL,
  "window"  INTEGER NOT NULL,
  filter_id INTEGER NOT NULL,
  top_n     BIGINT  NOT NULL,
  PRIMARY KEY (minute, "window", filter_id)
);
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
CREATE TABLE filters (
  filter_id INTEGER PRIMARY KEY,
  name      TEXT NOT NULL
);
CREATE TABLE producer_seq (
  producer TEXT PRIMARY KEY,
  seq      BIGINT NOT NULL
);
CREATE TABLE late_events (
  kafka_partition BIGINT NOT NULL,
  kafka_offset    BIGINT NOT NULL,
  ad_id           TEXT COLLATE "C" NOT NULL,
  event_time_ms   BIGINT NOT NULL,
  watermark_ms    BIGINT NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
);
CREATE TABLE rejects (
  kafka_partition BIGINT NOT NULL,
  kafka_offset    BIGINT NOT NULL,
  reason          TEXT   NOT NULL,
  record          BYTEA  NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
);
)sql",
    // Version 2: results of single input partitions (see sqlite_schema.cpp, version 3).
    R"sql(
CREATE TABLE topn_parts (
  minute    BIGINT  NOT NULL,
  "window"  INTEGER NOT NULL,
  filter_id INTEGER NOT NULL,
  part      BIGINT  NOT NULL,
  rank      INTEGER NOT NULL,
  ad_id     TEXT COLLATE "C" NOT NULL,
  count     BIGINT  NOT NULL,
  PRIMARY KEY (minute, "window", filter_id, part, rank)
);
CREATE TABLE progress_parts (
  part  BIGINT NOT NULL,
  key   TEXT   NOT NULL,
  value BIGINT NOT NULL,
  PRIMARY KEY (part, key)
);
)sql",
};

// Any constant shared by every clickagg writer: serializes concurrent upgrades.
constexpr const char* kLock = "SELECT pg_advisory_xact_lock(4242057112)";

// -1 when the version table does not exist.
int schema_version(Connection& conn) {
  Result exists = conn.query("SELECT to_regclass('clickagg_schema') IS NOT NULL");
  if (exists.text(0, 0) != "t") return -1;
  Result v = conn.query("SELECT version FROM clickagg_schema");
  return v.rows() == 0 ? 0 : static_cast<int>(v.int64(0, 0));
}

void check_not_newer(Connection& conn, int version) {
  if (version > kSchemaVersion)
    throw StoreError("database " + conn.where() + " has schema version " + std::to_string(version) +
                     ", newer than this build's " + std::to_string(kSchemaVersion));
}

}  // namespace

void prepare_writer(Connection& conn) {
  for (;;) {
    Transaction tx(conn);
    conn.exec(kLock);
    conn.exec("CREATE TABLE IF NOT EXISTS clickagg_schema (version INTEGER NOT NULL)");
    const int version = schema_version(conn);  // read under the lock: another writer may have won
    check_not_newer(conn, version);
    if (version >= kSchemaVersion) {
      tx.commit();
      return;
    }
    conn.exec(kMigrations[version]);
    conn.exec("DELETE FROM clickagg_schema");
    conn.query("INSERT INTO clickagg_schema (version) VALUES ($1::integer)", Params().integer(version + 1));
    tx.commit();
  }
}

void check_reader(Connection& conn) {
  const int version = schema_version(conn);
  check_not_newer(conn, version);
  if (version != kSchemaVersion)
    throw StoreError("database " + conn.where() + " has " +
                     (version < 0 ? std::string("no clickagg schema")
                                  : "schema version " + std::to_string(version)) +
                     "; open it once as a writer to create or upgrade it");
}

}  // namespace clickagg::store::pg
