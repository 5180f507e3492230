// Bringing an opened database to the current schema (schema.h). A writer creates or upgrades
// it in one transaction, so an interrupted upgrade leaves the old version and concurrent
// writers upgrade once; a reader only checks. A database at a version some earlier build
// recorded in its own numbering (Dialect::legacy_versions) reads as the shared version it is.
#pragma once
#include "host/store/dialect.h"
#include "host/store/sql_connection.h"

namespace clickagg::store {

// Starts the writer's session (Dialect::writer_session), then creates or migrates the schema.
// Throws StoreError for a newer schema or a database that is not a clickagg database.
void prepare_writer(SqlConnection& conn, const Dialect& dialect);
// Starts the reader's session and checks that the schema is the current one.
void check_reader(SqlConnection& conn, const Dialect& dialect);

}  // namespace clickagg::store
