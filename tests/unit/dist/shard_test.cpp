// Shard assignment, byte-range reading at line boundaries, and the pieces ranks exchange
// (profiles) and agree on (status) — everything of src/dist that runs in one process.
#include <gtest/gtest.h>

#include <set>

#include "test_files.h"
#include "tessera/data/ingest.h"
#include "tessera/data/row_segments.h"
#include "tessera/data/table_profile.h"
#include "tessera/dist/agreement.h"
#include "tessera/dist/shard_plan.h"

namespace tessera {
namespace {

TEST(ShardPlan, PartFilesGoRoundRobinAndEachToOneRank) {
  const std::vector<std::string> files = {"p0", "p1", "p2", "p3", "p4"};
  std::set<size_t> seen;
  for (int rank = 0; rank < 2; ++rank) {
    auto plan = dist::PlanShards(files, rank, 2);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_EQ(plan->num_parts, 5u);
    for (const auto& s : plan->mine) {
      EXPECT_EQ(s.part % 2, static_cast<size_t>(rank));
      EXPECT_EQ(s.path, files[s.part]);
      EXPECT_TRUE(s.range.whole());
      EXPECT_TRUE(seen.insert(s.part).second);
    }
  }
  EXPECT_EQ(seen.size(), 5u);
  auto too_few = dist::PlanShards({"a", "b"}, 0, 3);
  ASSERT_FALSE(too_few.ok());
  EXPECT_NE(too_few.status().message().find("2 input files for 3 ranks"), std::string::npos);
}

TEST(ShardPlan, ByteRangesOfOneFileGiveEveryLineToExactlyOneRank) {
  testing::TempDir dir;
  const std::string header = "x,\"quoted, header\"\n";
  std::string text = header;
  std::vector<std::string> lines;
  for (int i = 0; i < 997; ++i) lines.push_back(std::to_string(i) + "," + std::string(static_cast<size_t>(i % 13), 'z'));
  for (const auto& l : lines) text += l + "\n";
  const std::string path = dir.Write("one.csv", text);
  for (int ranks : {1, 2, 3, 7}) {
    std::vector<std::string> got;
    for (int rank = 0; rank < ranks; ++rank) {
      auto plan = dist::PlanShards({path}, rank, ranks);
      ASSERT_TRUE(plan.ok()) << plan.status().message();
      ASSERT_EQ(plan->mine.size(), 1u);
      auto source = data::ByteSource::OpenLines(path, plan->mine[0].range, true);
      ASSERT_TRUE(source.ok()) << source.status().message();
      std::string bytes;
      char buf[100];
      for (;;) {
        auto n = (*source)->Read(buf, sizeof buf);
        ASSERT_TRUE(n.ok());
        if (*n == 0) break;
        bytes.append(buf, *n);
      }
      // Every share reads as a whole CSV: the header, then its lines.
      ASSERT_EQ(bytes.substr(0, header.size()), header) << ranks << " ranks, rank " << rank;
      size_t at = header.size();
      while (at < bytes.size()) {
        size_t nl = bytes.find('\n', at);
        got.push_back(bytes.substr(at, nl - at));
        at = nl + 1;
      }
    }
    EXPECT_EQ(got, lines) << ranks << " ranks";
  }
}

TEST(ShardPlan, ProfilesSurviveTheTripBetweenRanks) {
  testing::TempDir dir;
  std::string text = "v,c\n";
  for (int i = 0; i < 5000; ++i) text += std::to_string((i * 7919) % 4001 * 0.5) + "," + (i % 3 ? "a" : "b") + "\n";
  const std::string path = dir.Write("t.csv", text);
  data::IngestOptions options;
  auto reader = data::OpenTable({path}, options);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  auto profile = data::ProfileTable(reader->get(), 1, false);
  ASSERT_TRUE(profile.ok());
  auto back = data::TableProfile::Deserialize(profile->Serialize());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->rows(), 5000u);
  EXPECT_EQ(back->Serialize(), profile->Serialize());
  EXPECT_EQ(back->columns()[0].sketch.Summary().size(), profile->columns()[0].sketch.Summary().size());
  EXPECT_EQ(back->columns()[1].categories.at("b"), 1667u);
  // A cut-short buffer is an error, not a crash.
  const std::string bytes = profile->Serialize();
  EXPECT_FALSE(data::TableProfile::Deserialize(bytes.substr(0, bytes.size() - 3)).ok());
}

TEST(GlobalRows, MapsLocalRowsThroughSegments) {
  data::GlobalRows rows({{0, 100, 3}, {3, 500, 2}});
  std::vector<std::pair<uint64_t, uint64_t>> seen;
  rows.ForEach(1, 5, [&](uint64_t local, uint64_t global) { seen.push_back({local, global}); });
  EXPECT_EQ(seen, (std::vector<std::pair<uint64_t, uint64_t>>{{1, 101}, {2, 102}, {3, 500}, {4, 501}}));
  seen.clear();
  data::GlobalRows().ForEach(7, 9, [&](uint64_t local, uint64_t global) { seen.push_back({local, global}); });
  EXPECT_EQ(seen, (std::vector<std::pair<uint64_t, uint64_t>>{{7, 7}, {8, 8}}));
}

TEST(LocalCollective, IsAWorldOfOne) {
  dist::Collective& world = dist::LocalWorld();
  EXPECT_EQ(world.rank(), 0);
  EXPECT_EQ(world.size(), 1);
  std::vector<int64_t> v = {3, -4};
  ASSERT_TRUE(world.AllReduceSum(v).ok());
  EXPECT_EQ(v, (std::vector<int64_t>{3, -4}));
  const std::vector<double> values = {1.5, 2.5};
  auto gathered = dist::AllGatherValues<double>(world, values);
  ASSERT_TRUE(gathered.ok());
  ASSERT_EQ(gathered->size(), 1u);
  EXPECT_EQ((*gathered)[0], values);
  EXPECT_TRUE(dist::AgreeOnStatus(world, Status::Ok()).ok());
  EXPECT_EQ(dist::AgreeOnStatus(world, Status::UserError("bad row")).message(), "bad row");
  std::string bytes = "x";
  EXPECT_FALSE(world.Broadcast(&bytes, 1).ok());
  EXPECT_EQ(world.stats().bytes_sent, 0u);
}

}  // namespace
}  // namespace tessera
