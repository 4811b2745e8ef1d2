#include "tessera/dist/shard_plan.h"

#include <filesystem>

namespace tessera::dist {

Result<ShardPlan> PlanShards(const std::vector<std::string>& files, int rank, int size, bool allow_byte_ranges) {
  if (size < 1 || rank < 0 || rank >= size) return Status::Internal("rank " + std::to_string(rank) + " of " + std::to_string(size));
  if (files.empty()) return Status::UserError("no input files given");
  const size_t ranks = static_cast<size_t>(size), me = static_cast<size_t>(rank);
  ShardPlan plan;
  if (files.size() == 1 && size > 1 && allow_byte_ranges) {
    if (data::CompressionFromPath(files[0]) != data::Compression::kNone)
      return Status::UserError(files[0] + ": a compressed file cannot be split between " + std::to_string(size) +
                               " ranks; give at least one part file per rank");
    std::error_code ec;
    const uint64_t bytes = std::filesystem::file_size(files[0], ec);
    if (ec) return Status::UserError(files[0] + ": cannot read its size: " + ec.message());
    plan.num_parts = ranks;
    Shard s;
    s.part = me;
    s.path = files[0];
    s.range.begin = bytes * me / ranks;
    s.range.end = bytes * (me + 1) / ranks;
    if (s.range.end == 0) s.range.end = 1;  // end 0 would mean the whole file; the file is empty anyway
    plan.mine.push_back(std::move(s));
    return plan;
  }
  if (files.size() < ranks)
    return Status::UserError(std::to_string(files.size()) + " input files for " + std::to_string(size) +
                             " ranks: give at least one part file per rank, or one uncompressed CSV file to split by bytes");
  plan.num_parts = files.size();
  for (size_t i = me; i < files.size(); i += ranks) plan.mine.push_back(Shard{i, files[i], {}});
  return plan;
}

}  // namespace tessera::dist
