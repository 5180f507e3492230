// The aggregate store's tables, written once for every database with the dialect's type names
// (Dialect::types), in one version sequence shared by SQLite and PostgreSQL.
#pragma once
#include <string>

#include "host/store/dialect.h"

namespace clickagg::store {

// 1: counts, top-N lists, meta, filters. 2: the sink's tables (producer sequence numbers,
// late events, rejects). 3: results of single input partitions.
inline constexpr int kSchemaVersion = 3;

// The DDL that takes a database from `version` to `version + 1`.
std::string migration_sql(int version, const TypeNames& types);

}  // namespace clickagg::store
