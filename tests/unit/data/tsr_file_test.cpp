#include "tessera/data/tsr_file.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tessera/data/ingest.h"
#include "test_files.h"

namespace tessera::data {
namespace {

using tessera::testing::TempDir;

BinnedDataset Sample(const TempDir& dir) {
  std::string text = "a,b,c,w,y\n";
  for (int i = 0; i < 3000; ++i)
    text += std::to_string(i % 17) + "," + (i % 5 ? "k" + std::to_string(i % 9) : "") + "," + std::to_string(i * 0.5) + "," +
            std::to_string(1 + i % 3) + "," + (i % 3 ? "yes" : "no") + "\n";
  IngestOptions o;
  o.schema.label = "y";
  o.schema.weight = "w";
  auto ds = IngestBinned({dir.Write("s.csv", text)}, o);
  EXPECT_TRUE(ds.ok()) << ds.status().message();
  return std::move(ds).value();
}

std::string LoadError(const std::string& name, const std::string& bytes) {
  auto r = LoadTsrFromMemory(name, bytes);
  return r.ok() ? "(no error)" : r.status().message();
}

TEST(Tsr, RoundTripIsExact) {
  TempDir dir;
  BinnedDataset ds = Sample(dir);
  std::string path = dir.Path("s.tsr");
  ASSERT_TRUE(SaveTsr(ds, path).ok());
  auto back = LoadTsr(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->num_rows(), ds.num_rows());
  EXPECT_EQ(back->num_features(), ds.num_features());
  ASSERT_EQ(back->cells_bytes(), ds.cells_bytes());
  EXPECT_EQ(0, std::memcmp(back->cells(), ds.cells(), ds.cells_bytes()));
  EXPECT_EQ(back->labels(), ds.labels());
  EXPECT_EQ(back->weights(), ds.weights());
  EXPECT_EQ(back->label_classes(), ds.label_classes());
  EXPECT_EQ(back->schema().ToJson(), ds.schema().ToJson());
  for (size_t f = 0; f < ds.num_features(); ++f) EXPECT_EQ(back->mappers()[f].ToJson(), ds.mappers()[f].ToJson());
  // The ingest entry point loads a cache as it is.
  auto via_ingest = IngestBinned({path}, IngestOptions{});
  ASSERT_TRUE(via_ingest.ok());
  EXPECT_EQ(via_ingest->num_rows(), ds.num_rows());
}

TEST(Tsr, RejectsForeignCorruptTruncatedAndNewerFiles) {
  TempDir dir;
  std::string path = dir.Path("s.tsr");
  ASSERT_TRUE(SaveTsr(Sample(dir), path).ok());
  const std::string good = tessera::testing::ReadFile(path);

  EXPECT_NE(LoadError("x.tsr", "a,b\n1,2\n").find("x.tsr: byte offset 0: not a Tessera .tsr cache (bad magic"), std::string::npos);
  EXPECT_NE(LoadError("x.tsr", "").find("bad magic"), std::string::npos);

  std::string newer = good;
  newer[8] = 9;
  EXPECT_NE(LoadError("x.tsr", newer).find("written by a newer Tessera (.tsr format 9"), std::string::npos);

  std::string cut = good.substr(0, good.size() - 100);
  EXPECT_NE(LoadError("x.tsr", cut).find("truncated .tsr cache"), std::string::npos);

  std::string flipped_block = good;
  flipped_block[40] ^= 0x5A;  // inside the first compressed block
  std::string err = LoadError("x.tsr", flipped_block);
  EXPECT_TRUE(err.find("corrupt compressed block") != std::string::npos || err.find("checksum mismatch") != std::string::npos) << err;

  std::string flipped_footer = good;
  flipped_footer[good.size() - 40] ^= 0x01;  // inside the JSON footer
  EXPECT_NE(LoadError("x.tsr", flipped_footer).find("footer checksum mismatch"), std::string::npos);

  EXPECT_NE(LoadTsr(dir.Path("none.tsr")).status().message().find("cannot open"), std::string::npos);
}

TEST(Tsr, FailedSaveLeavesNoFile) {
  TempDir dir;
  BinnedDataset ds = Sample(dir);
  dir.Write("plain-file", "x");  // a file where a folder would have to be
  EXPECT_FALSE(SaveTsr(ds, dir.Path("plain-file/dir/s.tsr")).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.Path("plain-file/dir/s.tsr")));
}

}  // namespace
}  // namespace tessera::data

namespace tessera::data {
namespace {

TEST(Tsr, MistypedFooterFieldIsAnErrorNotACrash) {
  TempDir dir;
  std::string path = dir.Path("s.tsr");
  ASSERT_TRUE(SaveTsr(Sample(dir), path).ok());
  std::string good = tessera::testing::ReadFile(path);
  // Rewrite the footer with "rows": 1e300 and fix its length, offset and checksum fields.
  uint64_t footer_offset = 0, footer_len = 0;
  for (int i = 0; i < 8; ++i) footer_offset |= uint64_t(uint8_t(good[good.size() - 32 + i])) << (8 * i);
  for (int i = 0; i < 8; ++i) footer_len |= uint64_t(uint8_t(good[good.size() - 24 + i])) << (8 * i);
  auto footer = nlohmann::json::parse(good.substr(footer_offset, footer_len));
  footer["rows"] = 1e300;
  std::string text = footer.dump();
  std::string bytes = good.substr(0, footer_offset) + text;
  auto put = [&](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  put(footer_offset, 8);
  put(text.size(), 8);
  put(static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size()))), 4);
  put(kTsrFormatVersion, 4);
  bytes.append("TSREND\0\0", 8);
  std::string err = LoadError("x.tsr", bytes);
  EXPECT_NE(err.find("footer: missing or mistyped field"), std::string::npos) << err;
}

}  // namespace
}  // namespace tessera::data
