// A database's SQL as data: every statement the SQL store runs, by id, in that database's
// syntax (placeholders, casts, upsert spelling), the type names the shared schema (schema.h)
// is written with, and how a database records its schema version. SqlStore (sql_store.h)
// holds the one algorithm; sqlite_dialect.cpp and postgres_dialect.cpp hold only this data.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "host/store/aggregate_store.h"

namespace clickagg::store {

enum class Stmt : uint8_t {
  DeleteMinute,
  UpsertCounts,  // row batch: (ad_id, filter_id, count) after (minute)
  DeleteList,
  InsertList,  // row batch: (rank, ad_id, count) after (minute, window, filter_id)
  DeletePartList,
  InsertPartList,  // row batch: (rank, ad_id, count) after (minute, window, filter_id, part)
  MergeList,
  UpsertListHeader,
  SetMeta,
  AdvanceMeta,
  DeletePartProgress,
  InsertPartProgress,
  SumPartProgress,
  DeleteFilters,
  InsertFilter,
  UpsertLate,
  UpsertReject,
  AdvanceProducerSeq,
  AggregatedCount,
  // A stored list is read either by List (the header joined with its entries: one statement,
  // one snapshot) or by ListHeader then ListEntries inside a read transaction; a dialect
  // supplies one way or the other.
  List,
  ListHeader,
  ListEntries,
  TopBySum,
  MinuteCounts,
  TopnWindows,
  ReadMeta,
  ReadFilters,
  CommittedSeq,
  CountRows,
};
inline constexpr size_t kStatementCount = static_cast<size_t>(Stmt::CountRows) + 1;

// Which connections prepare a statement.
enum class Use : uint8_t {
  Writer,   // writer connections only
  ApiRead,  // every connection; a read behind the query API (listed by *_read_queries())
  Read,     // every connection
  OneOff,   // none: too rare, prepared when it runs
};

struct StatementInfo {
  const char* name;  // the prepared statement's name, the same in every dialect
  Use use;
};
StatementInfo info(Stmt id);

struct StatementText {
  Stmt id;
  const char* sql;
};

// The column types of the shared schema, by role.
struct TypeNames {
  const char* integer;  // 32-bit values: filter ids, windows, ranks
  const char* bigint;   // minutes, counts, offsets, meta values
  const char* ad_id;    // text that sorts in byte order, the order the engines rank ties by
  const char* bytes;    // raw records
  const char* keyed;    // after a table's closing parenthesis: stored in primary key order
  // Between an index's key columns and the non-key columns it carries (for index-only scans).
  const char* include;
};

// How a dialect runs a statement over a batch of rows.
enum class RowBatches : uint8_t {
  PerRow,  // the prepared statement once per row, row values after the fixed parameters
  Arrays,  // once, each column as one array parameter (unnest): one round trip per batch
};

struct Dialect {
  const char* name;
  std::span<const StatementText> statements;
  RowBatches row_batches;
  TypeNames types;

  // Run when a connection opens (nullptr: nothing).
  const char* writer_session;
  const char* reader_session;
  // Opens every write transaction.
  const char* begin_write;

  // The schema version record. `begin_migration` opens the transaction an upgrade runs in
  // (taking whatever lock makes concurrent writers upgrade once); `version_exists` (nullptr:
  // always) says whether the record exists before that; `write_version` has "{version}" where
  // the number goes; a database at version 0 holding `foreign_objects` (nullptr: not checked)
  // belongs to someone else.
  const char* begin_migration;
  const char* version_exists;
  const char* read_version;
  const char* write_version;
  const char* foreign_objects;
  // Version numbers this dialect recorded before the versions were shared, and the shared
  // version each one is: {recorded, shared}. Every upgrade records the newest version in one
  // transaction, so these numbers are never recorded again and stay unambiguous.
  std::span<const std::pair<int, int>> legacy_versions;
};

const Dialect& sqlite_dialect();
const Dialect& postgres_dialect();

// A dialect's reads behind the query API, by statement name.
std::vector<NamedQuery> api_read_queries(const Dialect& dialect);

}  // namespace clickagg::store
