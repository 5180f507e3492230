// The dialects as data: each supplies every statement once in its own placeholder syntax, and
// the shared schema comes out of each with every type name filled in.
#include "host/store/dialect.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "host/store/schema.h"

namespace clickagg::store {
namespace {

class DialectTest : public ::testing::TestWithParam<std::string> {
 protected:
  const Dialect& dialect() const { return GetParam() == "sqlite" ? sqlite_dialect() : postgres_dialect(); }
};
INSTANTIATE_TEST_SUITE_P(Dialects, DialectTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

TEST_P(DialectTest, SuppliesEveryStatementOnceInItsOwnPlaceholders) {
  const Dialect& d = dialect();
  const char* foreign_placeholder = GetParam() == "sqlite" ? "$" : "?";
  std::map<Stmt, int> seen;
  for (const StatementText& s : d.statements) {
    ++seen[s.id];
    EXPECT_EQ(std::string(s.sql).find(foreign_placeholder), std::string::npos) << info(s.id).name;
  }
  for (size_t i = 0; i < kStatementCount; ++i) {
    const Stmt id = static_cast<Stmt>(i);
    if (id == Stmt::List || id == Stmt::ListHeader || id == Stmt::ListEntries) continue;
    EXPECT_EQ(seen[id], 1) << info(id).name;
  }
  // One way to read a stored list or the other.
  EXPECT_NE(seen[Stmt::List] == 1, seen[Stmt::ListHeader] == 1 && seen[Stmt::ListEntries] == 1);
}

TEST_P(DialectTest, FillsEveryTypeNameOfTheSharedSchema) {
  for (int v = 0; v < kSchemaVersion; ++v) {
    const std::string ddl = migration_sql(v, dialect().types);
    EXPECT_EQ(ddl.find_first_of("{}"), std::string::npos) << ddl;
    EXPECT_NE(ddl.find("CREATE TABLE"), std::string::npos);
  }
}

}  // namespace
}  // namespace clickagg::store
