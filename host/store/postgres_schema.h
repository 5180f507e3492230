// The PostgreSQL schema, versioned in the clickagg_schema table: each migration moves the
// database one version up inside a transaction (PostgreSQL DDL is transactional, so an
// interrupted upgrade leaves the old version), under an advisory lock so that concurrent
// writers upgrade once. Tables live in the connection's search_path (public by default;
// `?options=-csearch_path%3Dname` in the URI puts an instance in its own schema).
#pragma once
#include "host/store/pg_connection.h"

namespace clickagg::store::pg {

constexpr int kSchemaVersion = 2;

// Creates or migrates the schema. Throws StoreError for a newer schema.
void prepare_writer(Connection& conn);
// Checks that the schema is the current one; a reader never creates or migrates.
void check_reader(Connection& conn);

}  // namespace clickagg::store::pg
