// A synthetic HIGGS-like table (tessera gen's generator) written under a TempDir and read into a
// binned data set with label "label", for tests of the learner.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tessera/data/ingest.h"
#include "tessera/data/synthetic.h"
#include "test_files.h"

namespace tessera::testing {

inline data::BinnedDataset SyntheticBinned(const TempDir& dir, uint64_t rows, uint64_t seed, bool regression = false,
                                           int categoricals = 0, double missing_rate = 0.02) {
  data::SyntheticOptions o;
  o.rows = rows;
  o.seed = seed;
  o.regression = regression;
  o.categoricals = categoricals;
  o.missing_rate = missing_rate;
  const std::string path = dir.Path("s" + std::to_string(seed) + (regression ? "r" : "b") + ".csv");
  EXPECT_TRUE(data::WriteSyntheticCsv(o, path).ok());
  data::IngestOptions io;
  io.schema.label = "label";
  auto ds = data::IngestBinned({path}, io);
  EXPECT_TRUE(ds.ok()) << ds.status().message();
  return std::move(ds).value();
}

}  // namespace tessera::testing
