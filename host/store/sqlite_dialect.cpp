// SQLite's SQL (the embedded default). WAL mode lets one writer and any number of reader
// connections work at the same time; rows go in one prepared statement run per row, which
// costs no round trip in-process.
#include "host/store/dialect.h"

namespace clickagg::store {

namespace {

constexpr StatementText kStatements[] = {
    {Stmt::DeleteMinute, "DELETE FROM counts WHERE minute = ?1"},
    {Stmt::UpsertCounts,
     "INSERT INTO counts (minute, ad_id, filter_id, count) VALUES (?1, ?2, ?3, ?4) "
     "ON CONFLICT (filter_id, ad_id, minute) DO UPDATE SET count = excluded.count"},
    {Stmt::DeleteList, "DELETE FROM topn WHERE minute = ?1 AND \"window\" = ?2 AND filter_id = ?3"},
    {Stmt::InsertList,
     "INSERT INTO topn (minute, \"window\", filter_id, rank, ad_id, count) "
     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
    // Partial lists of single input partitions, and the merged list rebuilt from them: the top
    // N of the union by count descending, then ad_id in byte order (BINARY collation).
    // Partitions hold disjoint ads, so the union has each ad once and its top N is the exact
    // global top N; SUM only guards the stored list against ever naming an ad twice.
    {Stmt::DeletePartList,
     "DELETE FROM topn_parts WHERE minute = ?1 AND \"window\" = ?2 AND filter_id = ?3 AND part = ?4"},
    {Stmt::InsertPartList,
     "INSERT INTO topn_parts (minute, \"window\", filter_id, part, rank, ad_id, count) "
     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
    {Stmt::MergeList,
     "INSERT INTO topn (minute, \"window\", filter_id, rank, ad_id, count) "
     "SELECT ?1, ?2, ?3, row_number() OVER (ORDER BY total DESC, ad_id ASC), ad_id, total FROM ("
     "SELECT ad_id, SUM(count) AS total FROM topn_parts "
     "WHERE minute = ?1 AND \"window\" = ?2 AND filter_id = ?3 GROUP BY ad_id) "
     "ORDER BY total DESC, ad_id ASC LIMIT ?4"},
    {Stmt::UpsertListHeader,
     "INSERT INTO topn_lists (minute, \"window\", filter_id, top_n) VALUES (?1, ?2, ?3, ?4) "
     "ON CONFLICT (minute, \"window\", filter_id) DO UPDATE SET top_n = excluded.top_n"},
    {Stmt::SetMeta,
     "INSERT INTO meta (key, value) VALUES (?1, ?2) "
     "ON CONFLICT (key) DO UPDATE SET value = excluded.value"},
    {Stmt::AdvanceMeta,
     "INSERT INTO meta (key, value) VALUES (?1, ?2) "
     "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)"},
    // Counters of single input partitions, and meta's counters re-summed over them. (WHERE
    // true: SQLite's documented way to keep an INSERT ... SELECT followed by ON CONFLICT
    // unambiguous.)
    {Stmt::DeletePartProgress, "DELETE FROM progress_parts WHERE part = ?1"},
    {Stmt::InsertPartProgress, "INSERT INTO progress_parts (part, key, value) VALUES (?1, ?2, ?3)"},
    {Stmt::SumPartProgress,
     "INSERT INTO meta (key, value) SELECT key, SUM(value) FROM progress_parts WHERE true "
     "GROUP BY key ON CONFLICT (key) DO UPDATE SET value = excluded.value"},
    {Stmt::DeleteFilters, "DELETE FROM filters"},
    {Stmt::InsertFilter, "INSERT INTO filters (filter_id, name) VALUES (?1, ?2)"},
    {Stmt::UpsertLate,
     "INSERT INTO late_events (kafka_partition, kafka_offset, ad_id, event_time_ms, watermark_ms) "
     "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (kafka_partition, kafka_offset) DO UPDATE SET "
     "ad_id = excluded.ad_id, event_time_ms = excluded.event_time_ms, "
     "watermark_ms = excluded.watermark_ms"},
    {Stmt::UpsertReject,
     "INSERT INTO rejects (kafka_partition, kafka_offset, reason, record) VALUES (?1, ?2, ?3, ?4) "
     "ON CONFLICT (kafka_partition, kafka_offset) DO UPDATE SET "
     "reason = excluded.reason, record = excluded.record"},
    {Stmt::AdvanceProducerSeq,
     "INSERT INTO producer_seq (producer, seq) VALUES (?1, ?2) "
     "ON CONFLICT (producer) DO UPDATE SET seq = max(seq, excluded.seq)"},

    {Stmt::AggregatedCount,
     "SELECT COALESCE(SUM(count), 0) FROM counts "
     "WHERE filter_id = ?1 AND ad_id = ?2 AND minute >= ?3 AND minute < ?4"},
    // Two cheap in-process reads inside a read transaction.
    {Stmt::ListHeader,
     "SELECT top_n FROM topn_lists WHERE minute = ?1 AND \"window\" = ?2 AND filter_id = ?3"},
    {Stmt::ListEntries,
     "SELECT ad_id, count FROM topn WHERE minute = ?1 AND \"window\" = ?2 AND filter_id = ?3 "
     "ORDER BY rank"},
    // ad_id uses the BINARY collation: memcmp order, the byte order the engines rank by.
    {Stmt::TopBySum,
     "SELECT ad_id, SUM(count) AS total FROM counts "
     "WHERE minute >= ?1 AND minute <= ?2 AND filter_id = ?3 "
     "GROUP BY ad_id HAVING total > 0 ORDER BY total DESC, ad_id ASC LIMIT ?4"},
    // Both ranges of the primary keys: (filter_id, ad_id, minute) and (minute, "window", ...).
    {Stmt::MinuteCounts,
     "SELECT minute, count FROM counts "
     "WHERE filter_id = ?1 AND ad_id = ?2 AND minute >= ?3 AND minute < ?4 ORDER BY minute"},
    {Stmt::TopnWindows, "SELECT DISTINCT \"window\" FROM topn_lists WHERE minute = ?1 ORDER BY \"window\""},
    {Stmt::ReadMeta, "SELECT key, value FROM meta"},
    {Stmt::ReadFilters, "SELECT filter_id, name FROM filters ORDER BY filter_id"},
    {Stmt::CommittedSeq, "SELECT seq FROM producer_seq WHERE producer = ?1"},
    // Served by counts_by_minute (covering): one range scan in (minute, filter_id, ad_id) order.
    {Stmt::CountRows,
     "SELECT minute, filter_id, ad_id, count FROM counts WHERE minute >= ?1 AND minute < ?2 "
     "ORDER BY minute, filter_id, ad_id"},
};

// Every integer is INTEGER (64-bit); TEXT compares with the BINARY collation (memcmp). A
// covering index carries its extra columns as key columns, the only way SQLite has.
constexpr TypeNames kTypes{"INTEGER", "INTEGER", "TEXT", "BLOB", " WITHOUT ROWID", ", "};

const Dialect kSqlite{
    .name = "SQLite",
    .statements = kStatements,
    .row_batches = RowBatches::PerRow,
    .types = kTypes,
    .writer_session = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    // A read-write handle with query_only: a read-only handle cannot create the WAL index when
    // it is the first connection on the file.
    .reader_session = "PRAGMA query_only=1",
    // The write lock up front, so a writer never fails half-way on a lock upgrade.
    .begin_write = "BEGIN IMMEDIATE",
    .begin_migration = "BEGIN IMMEDIATE",
    .version_exists = nullptr,
    .read_version = "PRAGMA user_version",
    .write_version = "PRAGMA user_version = {version}",
    .foreign_objects = "SELECT count(*) FROM sqlite_schema",
    // SQLite's own versions 1 to 3 are the shared ones.
    .legacy_versions = {},
};

}  // namespace

const Dialect& sqlite_dialect() { return kSqlite; }

}  // namespace clickagg::store
