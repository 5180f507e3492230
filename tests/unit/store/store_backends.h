// The aggregate store backends as test fixtures, so one contract runs against each of them:
// "sqlite" (a file in a temp dir) and "postgresql" (a fresh schema in a database created for
// this test process at CLICKAGG_PG_URL, dropped at exit; skipped when no server answers).
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "host/store/aggregate_store.h"

namespace clickagg::testing {

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  // What open_store() takes.
  virtual std::string location() const = 0;
  // Every row of a query, columns as text joined by '|' (for comparing whole tables).
  virtual std::vector<std::string> rows(const std::string& sql) = 0;
  // SQL for a BLOB/BYTEA column as lower-case hex.
  virtual std::string hex_of(const std::string& column) const = 0;
  // Runs statements that return nothing (a database as an older build left it).
  virtual void exec(const std::string& sql) = 0;
  // The schema version as the database records it, read and overwritten the database's way.
  virtual int schema_version() = 0;
  virtual void set_schema_version(int version) = 0;
};

// nullptr (and `skip` set) when the backend cannot run here.
std::unique_ptr<StoreBackend> make_store_backend(const std::string& kind, std::string* skip);

// A test parameterized by backend kind.
class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string skip;
    backend = make_store_backend(GetParam(), &skip);
    if (!backend) GTEST_SKIP() << skip;
  }
  std::unique_ptr<store::AggregateStore> writer() {
    return store::open_store(backend->location(), store::OpenMode::Writer);
  }
  std::unique_ptr<store::AggregateStore> reader() {
    return store::open_store(backend->location(), store::OpenMode::Reader);
  }
  std::unique_ptr<StoreBackend> backend;
};

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

// Every backend a store test runs on.
inline auto all_backends() { return ::testing::Values("sqlite", "postgresql"); }

}  // namespace clickagg::testing
