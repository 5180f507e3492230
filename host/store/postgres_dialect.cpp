// PostgreSQL's SQL, for deployments that share one database between the sink and several
// query servers. Rows of a result go in as arrays (unnest): one round trip per window or list
// rather than per row. Tables live in the connection's search_path (public by default;
// `?options=-csearch_path%3Dname` in the URI puts an instance in its own schema).
#include <utility>

#include "host/store/dialect.h"

namespace clickagg::store {

namespace {

constexpr StatementText kStatements[] = {
    {Stmt::DeleteMinute, "DELETE FROM counts WHERE minute = $1::bigint"},
    {Stmt::UpsertCounts,
     "INSERT INTO counts (ad_id, minute, filter_id, count) "
     "SELECT t.a, $1::bigint, t.f, t.c FROM unnest($2::text[], $3::integer[], $4::bigint[]) AS t(a, f, c) "
     "ON CONFLICT (filter_id, ad_id, minute) DO UPDATE SET count = EXCLUDED.count"},
    {Stmt::DeleteList,
     "DELETE FROM topn WHERE minute = $1::bigint AND \"window\" = $2::integer AND filter_id = $3::integer"},
    {Stmt::InsertList,
     "INSERT INTO topn (minute, \"window\", filter_id, rank, ad_id, count) "
     "SELECT $1::bigint, $2::integer, $3::integer, t.r, t.a, t.c "
     "FROM unnest($4::integer[], $5::text[], $6::bigint[]) AS t(r, a, c)"},
    // Partial lists of single input partitions, and the merged list rebuilt from them: the top
    // N of the union by count descending, then ad_id in byte order (COLLATE "C"). Partitions
    // hold disjoint ads, so the union has each ad once and its top N is the exact global top
    // N; SUM only guards the stored list against ever naming an ad twice.
    {Stmt::DeletePartList,
     "DELETE FROM topn_parts WHERE minute = $1::bigint AND \"window\" = $2::integer "
     "AND filter_id = $3::integer AND part = $4::bigint"},
    {Stmt::InsertPartList,
     "INSERT INTO topn_parts (minute, \"window\", filter_id, part, rank, ad_id, count) "
     "SELECT $1::bigint, $2::integer, $3::integer, $4::bigint, t.r, t.a, t.c "
     "FROM unnest($5::integer[], $6::text[], $7::bigint[]) AS t(r, a, c)"},
    {Stmt::MergeList,
     "INSERT INTO topn (minute, \"window\", filter_id, rank, ad_id, count) "
     "SELECT $1::bigint, $2::integer, $3::integer, row_number() OVER (ORDER BY total DESC, ad_id ASC), "
     "ad_id, total FROM ("
     "SELECT ad_id, SUM(count)::bigint AS total FROM topn_parts "
     "WHERE minute = $1::bigint AND \"window\" = $2::integer AND filter_id = $3::integer GROUP BY ad_id) s "
     "ORDER BY total DESC, ad_id ASC LIMIT $4::bigint"},
    {Stmt::UpsertListHeader,
     "INSERT INTO topn_lists (minute, \"window\", filter_id, top_n) "
     "VALUES ($1::bigint, $2::integer, $3::integer, $4::bigint) "
     "ON CONFLICT (minute, \"window\", filter_id) DO UPDATE SET top_n = EXCLUDED.top_n"},
    {Stmt::SetMeta,
     "INSERT INTO meta (key, value) VALUES ($1::text, $2::bigint) "
     "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"},
    {Stmt::AdvanceMeta,
     "INSERT INTO meta (key, value) VALUES ($1::text, $2::bigint) "
     "ON CONFLICT (key) DO UPDATE SET value = GREATEST(meta.value, EXCLUDED.value)"},
    // Counters of single input partitions, and meta's counters re-summed over them.
    {Stmt::DeletePartProgress, "DELETE FROM progress_parts WHERE part = $1::bigint"},
    {Stmt::InsertPartProgress,
     "INSERT INTO progress_parts (part, key, value) VALUES ($1::bigint, $2::text, $3::bigint)"},
    {Stmt::SumPartProgress,
     "INSERT INTO meta (key, value) SELECT key, SUM(value)::bigint FROM progress_parts GROUP BY key "
     "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"},
    {Stmt::DeleteFilters, "DELETE FROM filters"},
    {Stmt::InsertFilter, "INSERT INTO filters (filter_id, name) VALUES ($1::integer, $2::text)"},
    {Stmt::UpsertLate,
     "INSERT INTO late_events (kafka_partition, kafka_offset, ad_id, event_time_ms, watermark_ms) "
     "VALUES ($1::bigint, $2::bigint, $3::text, $4::bigint, $5::bigint) "
     "ON CONFLICT (kafka_partition, kafka_offset) DO UPDATE SET ad_id = EXCLUDED.ad_id, "
     "event_time_ms = EXCLUDED.event_time_ms, watermark_ms = EXCLUDED.watermark_ms"},
    {Stmt::UpsertReject,
     "INSERT INTO rejects (kafka_partition, kafka_offset, reason, record) "
     "VALUES ($1::bigint, $2::bigint, $3::text, $4::bytea) "
     "ON CONFLICT (kafka_partition, kafka_offset) DO UPDATE SET reason = EXCLUDED.reason, "
     "record = EXCLUDED.record"},
    {Stmt::AdvanceProducerSeq,
     "INSERT INTO producer_seq (producer, seq) VALUES ($1::text, $2::bigint) "
     "ON CONFLICT (producer) DO UPDATE SET seq = GREATEST(producer_seq.seq, EXCLUDED.seq)"},

    {Stmt::AggregatedCount,
     "SELECT COALESCE(SUM(count), 0) FROM counts "
     "WHERE filter_id = $1::integer AND ad_id = $2::text AND minute >= $3::bigint AND minute < $4::bigint"},
    // One statement, one snapshot and one round trip: the header and its entries together.
    {Stmt::List,
     "SELECT l.top_n, t.ad_id, t.count FROM topn_lists l "
     "LEFT JOIN topn t ON t.minute = l.minute AND t.\"window\" = l.\"window\" AND t.filter_id = l.filter_id "
     "WHERE l.minute = $1::bigint AND l.\"window\" = $2::integer AND l.filter_id = $3::integer "
     "ORDER BY t.rank"},
    // ad_id is COLLATE "C": byte order, the order the engines rank ties by.
    {Stmt::TopBySum,
     "SELECT ad_id, SUM(count) AS total FROM counts "
     "WHERE minute >= $1::bigint AND minute <= $2::bigint AND filter_id = $3::integer "
     "GROUP BY ad_id HAVING SUM(count) > 0 ORDER BY total DESC, ad_id ASC LIMIT $4::bigint"},
    // Both ranges of the primary keys: (filter_id, ad_id, minute) and (minute, "window", ...).
    {Stmt::MinuteCounts,
     "SELECT minute, count FROM counts "
     "WHERE filter_id = $1::integer AND ad_id = $2::text AND minute >= $3::bigint AND minute < $4::bigint "
     "ORDER BY minute"},
    {Stmt::TopnWindows,
     "SELECT DISTINCT \"window\" FROM topn_lists WHERE minute = $1::bigint ORDER BY \"window\""},
    {Stmt::ReadMeta, "SELECT key, value FROM meta"},
    {Stmt::ReadFilters, "SELECT filter_id, name FROM filters ORDER BY filter_id"},
    {Stmt::CommittedSeq, "SELECT seq FROM producer_seq WHERE producer = $1::text"},
    // A range of counts_by_minute; ad_id is COLLATE "C", so the order is byte order.
    {Stmt::CountRows,
     "SELECT minute, filter_id, ad_id, count FROM counts WHERE minute >= $1::bigint AND minute < $2::bigint "
     "ORDER BY minute, filter_id, ad_id"},
};

// ad_id is TEXT COLLATE "C" so that ORDER BY ad_id is byte order whatever the database's
// default collation.
constexpr TypeNames kTypes{"INTEGER", "BIGINT", "TEXT COLLATE \"C\"", "BYTEA", "", ") INCLUDE ("};

// Before the shared sequence PostgreSQL numbered its own: its 1 (the base and the sink's
// tables) and 2 (partition results) are the shared 2 and 3.
constexpr std::pair<int, int> kLegacyVersions[] = {{1, 2}, {2, 3}};

const Dialect kPostgres{
    .name = "PostgreSQL",
    .statements = kStatements,
    .row_batches = RowBatches::Arrays,
    .types = kTypes,
    .writer_session = nullptr,
    .reader_session = nullptr,
    .begin_write = "BEGIN",
    // DDL is transactional; the advisory lock (any constant shared by every clickagg writer)
    // serializes concurrent upgrades.
    .begin_migration = "BEGIN; SELECT pg_advisory_xact_lock(4242057112); "
                       "CREATE TABLE IF NOT EXISTS clickagg_schema (version INTEGER NOT NULL)",
    .version_exists = "SELECT (to_regclass('clickagg_schema') IS NOT NULL)::integer",
    .read_version = "SELECT COALESCE(MAX(version), 0) FROM clickagg_schema",
    .write_version = "DELETE FROM clickagg_schema; INSERT INTO clickagg_schema (version) VALUES ({version})",
    .foreign_objects = nullptr,
    .legacy_versions = kLegacyVersions,
};

}  // namespace

const Dialect& postgres_dialect() { return kPostgres; }

}  // namespace clickagg::store
