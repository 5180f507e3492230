// The PostgreSQL backend of the aggregate store, for deployments that share one database
// between the sink and several query servers. Same semantics as the SQLite backend: every
// write is one transaction of idempotent upserts, ad ids compare in byte order.
#pragma once
#include <memory>
#include <string>

#include "host/store/aggregate_store.h"

namespace clickagg::store {

// `uri`: "postgresql://user@host:port/db" (or "postgres://...", or a libpq key=value string).
std::unique_ptr<AggregateStore> open_postgres_store(const std::string& uri, OpenMode mode);

}  // namespace clickagg::store
