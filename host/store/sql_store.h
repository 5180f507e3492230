// The aggregate store over any SQL database: the write algorithm, partial top-N lists,
// reconciliation records and the reads, written once over a connection (sql_connection.h) and
// a dialect (dialect.h). Statements are prepared once per connection: writers prepare the
// writes, every connection the reads.
#pragma once
#include <memory>

#include "host/store/aggregate_store.h"
#include "host/store/dialect.h"
#include "host/store/sql_connection.h"

namespace clickagg::store {

// Creates or migrates the schema (a writer) or checks it (a reader), then prepares.
std::unique_ptr<AggregateStore> open_sql_store(std::unique_ptr<SqlConnection> conn,
                                               const Dialect& dialect, OpenMode mode);

}  // namespace clickagg::store
