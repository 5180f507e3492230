// TailedFile against real files: complete lines only, offsets of each line, partial lines
// held back, oversized lines refused and skipped, truncation and replaced content noticed,
// and saved positions resumed only for the file they were saved for.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host/watch/tailed_file.h"
#include "tests/unit/watch/watch_test_files.h"

namespace clickagg::watch {
namespace {

using namespace testing;

struct Got {
  std::string bytes;
  uint64_t offset;
  std::string reject;
  bool operator==(const Got&) const = default;
  friend void PrintTo(const Got& g, std::ostream* os) {
    *os << "{" << ::testing::PrintToString(g.bytes.substr(0, 80)) << " @" << g.offset << " " << g.reject << "}";
  }
};

std::vector<Got> read(TailedFile& f, size_t max_lines = 1000, ReadResult* result = nullptr) {
  std::string scratch;
  std::vector<Got> out;
  const ReadResult r = f.read_lines(max_lines, scratch, [&](const Line& l) {
    out.push_back(Got{std::string(l.bytes), l.offset, l.reject ? l.reject : ""});
  });
  if (result) *result = r;
  return out;
}

std::unique_ptr<TailedFile> open_file(const std::string& path) {
  auto f = TailedFile::open(path, Clock::now());
  EXPECT_NE(f, nullptr);
  return f;
}

TEST(TailedFile, ReadsCompleteLinesWithTheirOffsetsAndHoldsBackAPartialOne) {
  TempDir dir;
  const std::string p = dir.file("a.log");
  append(p, "one\ntwo\npart");
  auto f = open_file(p);
  ReadResult r;
  EXPECT_EQ(read(*f, 1000, &r), (std::vector<Got>{{"one", 0, ""}, {"two", 4, ""}}));
  EXPECT_TRUE(r.at_end);
  EXPECT_EQ(f->read_offset(), 8u);  // the start of "part"
  EXPECT_TRUE(read(*f).empty());
  append(p, "ial\nnext");
  EXPECT_EQ(read(*f), (std::vector<Got>{{"partial", 8, ""}}));
  EXPECT_EQ(f->read_offset(), 16u);
}

TEST(TailedFile, SkipsEmptyLinesACarriageReturnAndTheByteOrderMark) {
  TempDir dir;
  const std::string p = dir.file("a.log");
  append(p, "\xEF\xBB\xBFone\r\n\n\r\ntwo\n");
  auto f = open_file(p);
  EXPECT_EQ(read(*f), (std::vector<Got>{{"one", 3, ""}, {"two", 11, ""}}));
  EXPECT_EQ(f->read_offset(), 15u);
}

TEST(TailedFile, StopsAtTheLineBudgetAndContinuesFromThere) {
  TempDir dir;
  const std::string p = dir.file("a.log");
  append(p, clicks(0, 10));
  auto f = open_file(p);
  ReadResult r;
  const auto first = read(*f, 4, &r);
  ASSERT_EQ(first.size(), 4u);
  EXPECT_FALSE(r.at_end);
  const auto rest = read(*f, 100, &r);
  ASSERT_EQ(rest.size(), 6u);
  EXPECT_TRUE(r.at_end);
  EXPECT_EQ(rest[0].bytes, click(4));
  EXPECT_EQ(rest[0].offset, clicks(0, 4).size());
}

TEST(TailedFile, ReadsAcrossManyChunks) {
  TempDir dir;
  const std::string p = dir.file("a.log");
  const int n = 20000;  // ~1.6 MB: several read chunks, lines cut at chunk ends
  append(p, clicks(0, n));
  auto f = open_file(p);
  const auto got = read(*f, n + 10);
  ASSERT_EQ(got.size(), static_cast<size_t>(n));
  uint64_t offset = 0;
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(got[i].bytes, click(i));
    ASSERT_EQ(got[i].offset, offset);
    offset += click(i).size() + 1;
  }
}

TEST(TailedFile, RefusesAnOversizedLineAndSkipsToItsEnd) {
  TempDir dir;
  const std::string p = dir.file("a.log");
  append(p, "ok\n" + std::string(70000, 'x'));  // no newline yet, over the limit
  auto f = open_file(p);
  auto got = read(*f);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Got{"ok", 0, ""}));
  EXPECT_EQ(got[1].offset, 3u);
  EXPECT_EQ(got[1].bytes.size(), kMaxLineBytes);
  EXPECT_NE(got[1].reject.find("oversized"), std::string::npos);
  append(p, std::string(5000, 'y') + "\nafter\n");
  got = read(*f);
  EXPECT_EQ(got, (std::vector<Got>{{"after", 3 + 70000 + 5001, ""}}));

  // With its newline already there, a long line is refused the same way.
  append(p, std::string(100000, 'z') + "\nlast\n");
  got = read(*f);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(got[0].reject.find("oversized"), std::string::npos);
  EXPECT_EQ(got[1].bytes, "last");
}

TEST(TailedFile, SkippingAnOversizedLineSurvivesARestart) {
  TempDir dir;
  const std::string p = dir.file("a.log");
  append(p, std::string(70000, 'x'));
  auto f = open_file(p);
  ASSERT_EQ(read(*f).size(), 1u);
  f->commit();
  const FileState saved = f->state();
  EXPECT_TRUE(saved.skipping);
  append(p, "tail of the long line\ngood\n");
  auto g = open_file(p);
  ASSERT_EQ(g->resume(saved), nullptr);
  EXPECT_EQ(read(*g), (std::vector<Got>{{"good", 70000 + 22, ""}}));
}

TEST(TailedFile, NoticesTruncationAndStartsOver) {
  TempDir dir;
  const std::string p = dir.file("a.log");
  append(p, clicks(0, 5));
  auto f = open_file(p);
  ASSERT_EQ(read(*f).size(), 5u);
  f->commit();
  truncate_file(p);
  append(p, clicks(5, 6));
  EXPECT_EQ(f->refresh(Clock::now()), Change::Truncated);
  EXPECT_EQ(f->committed(), 0u);
  EXPECT_EQ(read(*f), (std::vector<Got>{{click(5), 0, ""}}));
}

TEST(TailedFile, NoticesContentReplacedBeyondTheOldLength) {
  // copytruncate, then the writer writes more than was there before the next look: the
  // size alone cannot tell, the first bytes can.
  TempDir dir;
  const std::string p = dir.file("a.log");
  append(p, clicks(0, 3));
  auto f = open_file(p);
  ASSERT_EQ(read(*f).size(), 3u);
  f->commit();
  truncate_file(p);
  append(p, clicks(100, 110));
  EXPECT_EQ(f->refresh(Clock::now()), Change::Replaced);
  const auto got = read(*f);
  ASSERT_EQ(got.size(), 10u);
  EXPECT_EQ(got[0], (Got{click(100), 0, ""}));
}

TEST(TailedFile, GrowingFileIsNotAChange) {
  TempDir dir;
  const std::string p = dir.file("a.log");
  append(p, "");
  auto f = open_file(p);
  for (int i = 0; i < 50; ++i) {  // the fingerprint grows with the file up to 1 KiB
    append(p, clicks(i, i + 1));
    ASSERT_EQ(f->refresh(Clock::now()), Change::None) << i;
    ASSERT_EQ(read(*f).size(), 1u);
  }
  EXPECT_EQ(f->state().fingerprint.len, kFingerprintBytes);
}

TEST(TailedFile, ResumesOnlyTheFileTheStateWasSavedFor) {
  TempDir dir;
  const std::string p = dir.file("a.log");
  append(p, clicks(0, 40));
  auto f = open_file(p);
  ASSERT_EQ(read(*f, 10).size(), 10u);
  f->commit();
  const FileState saved = f->state();
  EXPECT_EQ(saved.offset, clicks(0, 10).size());

  auto same = open_file(p);
  EXPECT_EQ(same->resume(saved), nullptr);
  EXPECT_EQ(read(*same)[0].bytes, click(10));

  // The same inode (as a reused one would be) with other content: from the start.
  const std::string q = dir.file("b.log");
  append(q, clicks(500, 540));
  auto other = open_file(q);
  FileState reused = saved;
  reused.id = other->id();
  EXPECT_NE(other->resume(reused), nullptr);
  EXPECT_EQ(other->committed(), 0u);
  EXPECT_EQ(read(*other)[0].bytes, click(500));

  // Shorter than the saved offset: truncated while nobody watched.
  truncate_file(p, 100);
  auto cut = open_file(p);
  EXPECT_NE(cut->resume(saved), nullptr);
  EXPECT_EQ(cut->committed(), 0u);
}

TEST(TailedFile, RewindReadsTheUncommittedLinesAgain) {
  TempDir dir;
  const std::string p = dir.file("a.log");
  append(p, clicks(0, 6));
  auto f = open_file(p);
  ASSERT_EQ(read(*f, 2).size(), 2u);
  f->commit();
  ASSERT_EQ(read(*f, 3).size(), 3u);
  f->rewind();
  EXPECT_EQ(f->read_offset(), clicks(0, 2).size());
  EXPECT_EQ(read(*f)[0].bytes, click(2));
}

TEST(TailedFile, TakesAnUnfinishedLastLineOnlyWhenNoNewlineFollows) {
  TempDir dir;
  const std::string p = dir.file("a.log");
  append(p, "one\nunfinished");
  auto f = open_file(p);
  ASSERT_EQ(read(*f).size(), 1u);
  std::string scratch;
  Line tail;
  ASSERT_TRUE(f->take_partial_tail(scratch, tail));
  EXPECT_EQ(tail.bytes, "unfinished");
  EXPECT_EQ(tail.offset, 4u);
  EXPECT_NE(tail.reject, nullptr);
  EXPECT_EQ(f->read_offset(), 14u);
  EXPECT_FALSE(f->take_partial_tail(scratch, tail));

  append(p, " after all\nmore");
  auto g = open_file(p);
  ASSERT_EQ(read(*g).size(), 2u);  // "one", "unfinished after all"
  append(p, "\n");                 // grew after the read: a line, not a tail
  EXPECT_FALSE(g->take_partial_tail(scratch, tail));
}

}  // namespace
}  // namespace clickagg::watch
