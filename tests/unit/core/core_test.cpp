#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "tessera/core/atomic_file.h"
#include "tessera/core/parallel.h"
#include "tessera/core/status.h"
#include "tessera/core/utf8.h"
#include "test_files.h"

namespace tessera {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Status::UserError("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  TESSERA_ASSIGN_OR_RETURN(int h, Half(x));
  TESSERA_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(Status, CarriesKindMessageAndLocation) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = Status::AtLocation("a.csv", 3, 7, "expected a number");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kUser);
  EXPECT_EQ(s.message(), "a.csv:3:7: expected a number");
  EXPECT_EQ(Status::AtOffset("x.tsr", 12, "bad").message(), "x.tsr: byte offset 12: bad");
  EXPECT_EQ(Status::Internal("boom").WithContext("loading").message(), "loading: boom");
  EXPECT_EQ(Status::Internal("boom").kind(), ErrorKind::kInternal);
}

TEST(Result, PropagatesErrors) {
  EXPECT_EQ(Quarter(8).value(), 2);
  EXPECT_FALSE(Quarter(6).ok());
  EXPECT_EQ(Quarter(6).status().message(), "odd");
}

TEST(AtomicFileWriter, CommitReplacesAndAbortLeavesNothing) {
  testing::TempDir dir;
  std::string path = dir.Path("out.txt");
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  EXPECT_EQ(testing::ReadFile(path), "first");
  {
    AtomicFileWriter w;
    ASSERT_TRUE(w.Open(path).ok());
    ASSERT_TRUE(w.Write("second, unfinished").ok());
    // Destroyed without Commit(): the old content stays and no temp file is left behind.
  }
  EXPECT_EQ(testing::ReadFile(path), "first");
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) (void)e, ++files;
  EXPECT_EQ(files, 1u);
}

TEST(AtomicFileWriter, ReportsUnwritableDirectory) {
  testing::TempDir dir;
  dir.Write("plain-file", "x");  // a file where a folder would have to be
  const std::string path = dir.Path("plain-file/sub/x.txt");
  Status s = WriteFileAtomically(path, "x");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
}

TEST(AtomicFileWriter, MakesMissingFolders) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir.Path("a/b/x.txt"), "hello").ok());
  EXPECT_EQ(testing::ReadFile(dir.Path("a/b/x.txt")), "hello");
}

TEST(ParallelFor, CoversEveryIndexOnceForAnyThreadCount) {
  for (int threads : {1, 2, 3, 8}) {
    std::vector<std::atomic<int>> hits(1000);
    ParallelFor(hits.size(), threads, [&](size_t b, size_t e, size_t) {
      for (size_t i = b; i < e; ++i) hits[i]++;
    });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  }
}

TEST(Utf8, AcceptsValidAndFindsFirstBadByte) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("Zürich, 東京, 🙂"));
  size_t bad = 0;
  EXPECT_FALSE(IsValidUtf8("ab\xff", &bad));
  EXPECT_EQ(bad, 2u);
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe6\x9d", &bad));    // truncated sequence
  EXPECT_EQ(bad, 0u);
}

}  // namespace
}  // namespace tessera
