// Shard assignment: which part of the input each rank reads, so that no rank reads the whole
// data set. Part files (a directory, a glob, several --data files; sorted by name) go round-robin:
// file i to rank i % size. One uncompressed CSV file is instead cut into `size` byte ranges at
// line boundaries (each rank also reads the header line). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/byte_source.h"

namespace tessera::dist {

// One part of the input: a whole file, or a byte range of the one file.
struct Shard {
  size_t part = 0;  // the part's number in the whole input (parts are in row order)
  std::string path;
  data::ByteRange range;  // whole() for part files
};

struct ShardPlan {
  size_t num_parts = 0;      // parts of the whole input
  std::vector<Shard> mine;   // the parts this rank reads, in part order
};

// The plan for rank `rank` of `size` over `files` (sorted, as ExpandInputPaths gives them).
// With one file and `allow_byte_ranges`, the file is split by bytes (it must be uncompressed);
// otherwise fewer files than ranks is a user error naming both numbers.
Result<ShardPlan> PlanShards(const std::vector<std::string>& files, int rank, int size, bool allow_byte_ranges = true);

}  // namespace tessera::dist
