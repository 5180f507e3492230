// The dead-letter file's escaping (hand-computed) and its length management: cut back to
// the committed length after a crash, never padded, appended to when there is no state.
#include <gtest/gtest.h>

#include <string>

#include "host/watch/dead_letter.h"
#include "tests/unit/watch/watch_test_files.h"

namespace clickagg::watch {
namespace {

using namespace testing;

TEST(DeadLetter, EscapesEverythingThatIsNotPrintableAscii) {
  std::string out;
  append_escaped(out, std::string("a\\b\tc\nd\re\x01\x7f\xc3\xa9 ~", 15));
  EXPECT_EQ(out, "a\\\\b\\tc\\nd\\re\\x01\\x7f\\xc3\\xa9 ~");
  out.clear();
  append_escaped(out, std::string("\0z", 2));
  EXPECT_EQ(out, "\\x00z");
}

TEST(DeadLetter, OneTabSeparatedLinePerEntry) {
  std::string out;
  append_dead_letter(out, "/logs/a b.log", 1234, "bad ip", "[AdClickEvent] x,\ty");
  EXPECT_EQ(out, "/logs/a b.log\t1234\tbad ip\t[AdClickEvent] x,\\ty\n");
}

TEST(DeadLetter, CutBackToTheCommittedLengthButNeverPadded) {
  TempDir dir;
  const std::string p = dir.file("dl.tsv");
  append(p, "committed\nuncommitted\n");
  {
    DeadLetterFile f(p, 10);
    EXPECT_EQ(f.size(), 10u);
    EXPECT_EQ(f.append("next\n"), 15u);
  }
  EXPECT_EQ(read_all(p), "committed\nnext\n");
  {
    DeadLetterFile f(p, 1000);  // shorter than the state says: kept as it is
    EXPECT_EQ(f.size(), 15u);
  }
  EXPECT_EQ(read_all(p), "committed\nnext\n");
  {
    DeadLetterFile f(p, std::nullopt);  // no state yet: append
    f.append("more\n");
  }
  EXPECT_EQ(read_all(p), "committed\nnext\nmore\n");
  DeadLetterFile fresh(dir.file("new.tsv"), std::nullopt);
  EXPECT_EQ(fresh.size(), 0u);
  EXPECT_TRUE(std::filesystem::exists(dir.file("new.tsv")));
}

}  // namespace
}  // namespace clickagg::watch
