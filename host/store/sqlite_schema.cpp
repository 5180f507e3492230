#include "host/store/sqlite_schema.h"

#include <string>

namespace clickagg::store::sqlite {

namespace {

// migrations[v] takes a database from version v to v + 1.
// counts: one row per non-zero (filter, ad, minute); the primary key serves per-ad range
// sums, counts_by_minute (covering) serves per-minute replacement and window scans.
// topn_lists records that a list exists (an empty one too) and the N it was cut at, so a
// reader can tell a complete short list from a truncated one.
constexpr const char* kMigrations[kSchemaVersion] = {
    R"sql(
CREATE TABLE counts (
  ad_id     TEXT    NOT NULL,
  minute    INTEGER NOT NULL,
  filter_id INTEGER NOT NULL,
  count     INTEGER NOT NULL,
  PRIMARY KEY (filter_id, ad_id, minute)
) WITHOUT ROWID;
CREATE INDEX counts_by_minute ON counts (minute, filter_id, ad_id, count);
CREATE TABLE topn (
  minute    INTEGER NOT NULL,
  "window"  INTEGER NOT NULL,
  filter_id INTEGER NOT NULL,
  rank      INTEGER NOT NULL,
  ad_id     TEXT    NOT NULL,
  count     INTEGER NOT NULL,
  PRIMARY KEY (minute, "window", filter_id, rank)
) WITHOUT ROWID;
CREATE TABLE topn_lists (
  minute    INTEGER NOT NULL,
  "window"  INTEGER NOT NULL,
  filter_id INTEGER NOT NULL,
  top_n     INTEGER NOT NULL,
  PRIMARY KEY (minute, "window", filter_id)
) WITHOUT ROWID;
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE filters (
  filter_id INTEGER PRIMARY KEY,
  name      TEXT NOT NULL
);
)sql",
    // Version 2: what the sink needs to commit a channel round in one transaction: each
    // producer's committed sequence number, events dropped late and rejected records (both
    // keyed by their Kafka position, so a replay rewrites the same rows).
    R"sql(
CREATE TABLE producer_seq (
  producer TEXT    PRIMARY KEY,
  seq      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE late_events (
  kafka_partition INTEGER NOT NULL,
  kafka_offset    INTEGER NOT NULL,
  ad_id           TEXT    NOT NULL,
  event_time_ms   INTEGER NOT NULL,
  watermark_ms    INTEGER NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
) WITHOUT ROWID;
CREATE TABLE rejects (
  kafka_partition INTEGER NOT NULL,
  kafka_offset    INTEGER NOT NULL,
  reason          TEXT    NOT NULL,
  record          BLOB    NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
) WITHOUT ROWID;
)sql",
    // Version 3: results of single input partitions. topn_parts keeps each partition's latest
    // partial list, from which topn is re-merged; progress_parts keeps each partition's latest
    // counters (meta keys), from which meta's counters are re-summed.
    R"sql(
CREATE TABLE topn_parts (
  minute    INTEGER NOT NULL,
  "window"  INTEGER NOT NULL,
  filter_id INTEGER NOT NULL,
  part      INTEGER NOT NULL,
  rank      INTEGER NOT NULL,
  ad_id     TEXT    NOT NULL,
  count     INTEGER NOT NULL,
  PRIMARY KEY (minute, "window", filter_id, part, rank)
) WITHOUT ROWID;
CREATE TABLE progress_parts (
  part  INTEGER NOT NULL,
  key   TEXT    NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (part, key)
) WITHOUT ROWID;
)sql",
};

int user_version(Connection& conn) {
  return static_cast<int>(conn.query_int("PRAGMA user_version"));
}

void check_version(Connection& conn, int version) {
  if (version > kSchemaVersion)
    throw StoreError("database " + conn.path() + " has schema version " +
                     std::to_string(version) + ", newer than this build's " +
                     std::to_string(kSchemaVersion));
  if (version == 0 && conn.query_int("SELECT count(*) FROM sqlite_schema") != 0)
    throw StoreError("database " + conn.path() + " is not a clickagg database");
}

}  // namespace

void prepare_writer(Connection& conn) {
  conn.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  for (int version = user_version(conn); version < kSchemaVersion;) {
    Transaction tx(conn);
    version = user_version(conn);  // re-read under the write lock: another writer may have won
    if (version >= kSchemaVersion) break;
    check_version(conn, version);
    conn.exec(kMigrations[version]);
    conn.exec(("PRAGMA user_version=" + std::to_string(version + 1)).c_str());
    tx.commit();
    ++version;
  }
  check_version(conn, user_version(conn));
}

void check_reader(Connection& conn) {
  const int version = user_version(conn);
  check_version(conn, version);
  if (version != kSchemaVersion)
    throw StoreError("database " + conn.path() + " has schema version " +
                     std::to_string(version) + "; open it once as a writer to upgrade it");
}

}  // namespace clickagg::store::sqlite
