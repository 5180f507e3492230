// The SQLite schema, versioned with PRAGMA user_version: each migration moves the database
// one version up inside a transaction, so an interrupted upgrade leaves the old version.
#pragma once
#include "host/store/sqlite_connection.h"

namespace clickagg::store::sqlite {

constexpr int kSchemaVersion = 3;

// Sets WAL mode and synchronous=NORMAL, then creates or migrates the schema. Throws
// StoreError for a file that is not a clickagg database or has a newer schema.
void prepare_writer(Connection& conn);
// Checks that the schema is the current one; a reader never creates or migrates.
void check_reader(Connection& conn);

}  // namespace clickagg::store::sqlite
