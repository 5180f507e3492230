// The SQLite backend of the aggregate store (the embedded default). WAL mode lets one writer
// and any number of reader connections work at the same time; statements are prepared once
// per connection and reused.
#pragma once
#include <memory>
#include <string>

#include "host/store/aggregate_store.h"

namespace clickagg::store {

std::unique_ptr<AggregateStore> open_sqlite_store(const std::string& path, OpenMode mode);

}  // namespace clickagg::store
