#include "tessera/dist/sharded_ingest.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tessera/core/byte_codec.h"
#include "tessera/core/parallel.h"
#include "tessera/data/table_profile.h"
#include "tessera/dist/agreement.h"
#include "tessera/dist/shard_plan.h"

namespace tessera::dist {

namespace {

// The input files, checked to be CSV/TSV (the formats that can be split), and this rank's plan.
// With `allow_empty_rank`, fewer part files than ranks leaves some ranks without a part.
Result<ShardPlan> PlanInput(Collective& world, const std::vector<std::string>& inputs, bool allow_empty_rank,
                            std::vector<std::string>* files) {
  auto plan_here = [&]() -> Result<ShardPlan> {
    TESSERA_ASSIGN_OR_RETURN(*files, data::ExpandInputPaths(inputs));
    for (const auto& f : *files)
      if (data::FormatFromPath(f) != data::TableFormat::kCsv)
        return Status::UserError(f + ": distributed training reads CSV/TSV files (plain, or compressed part files); "
                                     "LibSVM and .tsr inputs are read by one process only");
    if (allow_empty_rank && files->size() > 1 && files->size() < static_cast<size_t>(world.size())) {
      ShardPlan plan;
      plan.num_parts = files->size();
      for (size_t i = static_cast<size_t>(world.rank()); i < files->size(); i += static_cast<size_t>(world.size()))
        plan.mine.push_back(Shard{i, (*files)[i], {}});
      return plan;
    }
    return PlanShards(*files, world.rank(), world.size());
  };
  auto plan = plan_here();
  TESSERA_RETURN_IF_ERROR(AgreeOnStatus(world, plan.status()));
  return plan;
}

data::IngestOptions ForShard(const data::IngestOptions& options, const Shard& shard) {
  data::IngestOptions o = options;
  o.read.byte_range = shard.range;
  return o;
}

// The schema rank 0 infers from the first file (as one process would), on every rank.
Result<data::Schema> AgreeOnSchema(Collective& world, const std::string& first_file, const data::IngestOptions& options) {
  Status st;
  std::string text;
  if (world.rank() == 0) {
    data::IngestOptions whole = options;
    whole.read.byte_range = {};
    auto reader = data::OpenTable({first_file}, whole);
    if (reader.ok()) text = (*reader)->schema().ToJson().dump();
    else st = reader.status();
  }
  TESSERA_RETURN_IF_ERROR(AgreeOnStatus(world, st));
  TESSERA_RETURN_IF_ERROR(world.Broadcast(&text, 0));
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) return Status::Internal("broadcast schema is not JSON");
  return data::Schema::FromJson(json);
}

// A reader of `shard` (or of several whole files) that reads with `schema`; the header must
// name the same columns in the same order.
Result<std::unique_ptr<data::TableReader>> OpenWithSchema(const std::vector<std::string>& paths, const data::IngestOptions& options,
                                                          const data::Schema& schema, const std::string& first_file) {
  TESSERA_ASSIGN_OR_RETURN(auto reader, data::OpenTableReader(paths, options.read));
  const data::Schema& own = reader->schema();
  bool same = own.size() == schema.num_read_columns();  // the schema may add derived columns
  for (size_t c = 0; same && c < own.size(); ++c) same = own.column(c).name == schema.column(c).name;
  if (!same) return Status::UserError(paths[0] + ": its header differs from " + first_file + "'s; all parts must share one header");
  TESSERA_RETURN_IF_ERROR(reader->SetSchema(schema));
  return reader;
}

// A number known per part (its row count, its row estimate).
template <typename T>
struct PartValue {
  uint64_t part;
  T value;
};

// Exchanges (part, value) pairs so that every rank knows every part's value, in part order.
template <typename T>
Result<std::vector<T>> GatherPerPart(Collective& world, const std::vector<PartValue<T>>& mine, size_t num_parts) {
  TESSERA_ASSIGN_OR_RETURN(auto all, AllGatherValues<PartValue<T>>(world, mine));
  std::vector<T> out(num_parts);
  for (const auto& rank_values : all)
    for (const auto& pv : rank_values) {
      if (pv.part >= num_parts) return Status::Internal("part number out of range");
      out[pv.part] = pv.value;
    }
  return out;
}

// This rank's rows as runs in the whole table, from every part's row count.
data::GlobalRows SegmentsOf(const ShardPlan& plan, const std::vector<uint64_t>& part_rows) {
  std::vector<uint64_t> first_row(part_rows.size() + 1, 0);
  for (size_t p = 0; p < part_rows.size(); ++p) first_row[p + 1] = first_row[p] + part_rows[p];
  std::vector<data::RowSegment> segments;
  uint64_t local = 0;
  for (const Shard& s : plan.mine) {
    segments.push_back({local, first_row[s.part], part_rows[s.part]});
    local += part_rows[s.part];
  }
  return data::GlobalRows(std::move(segments));
}

// Text label classes: every rank's, unioned and sorted by name (as one process numbers them).
Status AgreeOnLabelClasses(Collective& world, data::BinnedDataset* ds) {
  ByteWriter out;
  out.Put<uint64_t>(ds->label_classes().size());
  for (const auto& c : ds->label_classes()) out.PutString(c);
  TESSERA_ASSIGN_OR_RETURN(std::vector<std::string> all, world.AllGather(out.bytes()));
  std::set<std::string> classes;
  for (const auto& bytes : all) {
    ByteReader in(bytes, "label classes");
    TESSERA_ASSIGN_OR_RETURN(uint64_t n, in.Get<uint64_t>());
    for (uint64_t i = 0; i < n; ++i) {
      TESSERA_ASSIGN_OR_RETURN(std::string name, in.GetString());
      classes.insert(std::move(name));
    }
  }
  if (classes.empty()) return Status::Ok();
  return data::RenumberLabelClasses(ds, std::vector<std::string>(classes.begin(), classes.end()));
}

}  // namespace

Result<ShardedData> IngestSharded(Collective& world, const std::vector<std::string>& inputs, const data::IngestOptions& options) {
  std::vector<std::string> files;
  TESSERA_ASSIGN_OR_RETURN(ShardPlan plan, PlanInput(world, inputs, false, &files));
  TESSERA_ASSIGN_OR_RETURN(data::Schema schema, AgreeOnSchema(world, files[0], options));
  const int threads = ResolveThreads(options.read.threads);
  const bool progress = options.progress && world.rank() == 0;

  // Pass one, part by part: open, estimate the rows (for the shared sample rate), profile.
  std::vector<std::unique_ptr<data::TableReader>> readers;
  std::vector<PartValue<double>> estimates;
  Status st;
  for (const Shard& s : plan.mine) {
    auto reader = OpenWithSchema({s.path}, ForShard(options, s), schema, files[0]);
    if (!reader.ok()) {
      st = reader.status();
      break;
    }
    estimates.push_back({s.part, (*reader)->EstimateRows()});
    readers.push_back(std::move(reader).value());
  }
  TESSERA_RETURN_IF_ERROR(AgreeOnStatus(world, st));
  TESSERA_ASSIGN_OR_RETURN(std::vector<double> part_estimates, GatherPerPart(world, estimates, plan.num_parts));
  double estimated_rows = 0;
  for (double e : part_estimates) estimated_rows += e;  // in part order: the same sum on every rank
  const data::RowSampler sampler = data::BinSampler(options, estimated_rows);

  ByteWriter profiles;
  profiles.Put<uint64_t>(plan.mine.size());
  for (size_t i = 0; i < readers.size() && st.ok(); ++i) {
    auto profile = data::ProfileTable(readers[i].get(), threads, progress, &sampler);
    if (!profile.ok()) {
      st = profile.status();
      break;
    }
    profiles.Put<uint64_t>(plan.mine[i].part);
    profiles.PutString(profile->Serialize());
  }
  readers.clear();
  TESSERA_RETURN_IF_ERROR(AgreeOnStatus(world, st));

  // Every part's profile, merged in part order.
  TESSERA_ASSIGN_OR_RETURN(std::vector<std::string> gathered, world.AllGather(profiles.bytes()));
  std::map<uint64_t, std::string> by_part;
  for (const auto& bytes : gathered) {
    ByteReader in(bytes, "gathered profiles");
    TESSERA_ASSIGN_OR_RETURN(uint64_t n, in.Get<uint64_t>());
    for (uint64_t i = 0; i < n; ++i) {
      TESSERA_ASSIGN_OR_RETURN(uint64_t part, in.Get<uint64_t>());
      TESSERA_ASSIGN_OR_RETURN(by_part[part], in.GetString());
    }
  }
  if (by_part.size() != plan.num_parts) return Status::Internal("profiles of some parts are missing");
  data::TableProfile merged(threads);
  std::vector<uint64_t> part_rows;
  for (const auto& [part, bytes] : by_part) {
    TESSERA_ASSIGN_OR_RETURN(data::TableProfile p, data::TableProfile::Deserialize(bytes, threads));
    part_rows.push_back(p.rows());
    merged.Merge(p);
  }
  if (merged.rows() == 0) return Status::UserError(files[0] + ": no data rows after the header");
  std::vector<size_t> feature_columns = schema.FeatureIndices();
  if (feature_columns.empty()) return Status::UserError(files[0] + ": no feature columns left to train on");
  std::vector<data::BinMapper> mappers = data::BuildBinMappers(schema, merged, options);

  ShardedData out;
  out.total_rows = merged.rows();
  out.rows = SegmentsOf(plan, part_rows);
  uint64_t my_rows = 0;
  for (const Shard& s : plan.mine) my_rows += part_rows[s.part];
  if (my_rows == 0)
    st = Status::UserError("its share of the input (" + plan.mine[0].path + ") holds no rows; use fewer ranks or more data");

  // Pass two: bin this rank's rows with the shared bins.
  if (st.ok()) {
    std::vector<std::string> paths;
    for (const Shard& s : plan.mine) paths.push_back(s.path);
    auto reader = OpenWithSchema(paths, ForShard(options, plan.mine[0]), schema, files[0]);
    if (reader.ok()) {
      out.data = data::BinnedDataset(schema, feature_columns, std::move(mappers), my_rows);
      st = data::BinAllRows(reader->get(), &out.data, threads, progress, nullptr);
    } else {
      st = reader.status();
    }
  }
  TESSERA_RETURN_IF_ERROR(AgreeOnStatus(world, st));
  const int label_col = schema.FindRole(data::ColumnRole::kLabel);
  if (label_col >= 0 && schema.column(static_cast<size_t>(label_col)).type == data::ColumnType::kCategorical)
    TESSERA_RETURN_IF_ERROR(AgreeOnLabelClasses(world, &out.data));
  return out;
}

Result<ShardedData> IngestShardedWithReference(Collective& world, const std::vector<std::string>& inputs,
                                               const data::IngestOptions& options, const data::BinnedDataset& reference) {
  std::vector<std::string> files;
  TESSERA_ASSIGN_OR_RETURN(ShardPlan plan, PlanInput(world, inputs, true, &files));
  Status st;
  std::vector<data::BinnedDataset> parts;
  std::vector<PartValue<uint64_t>> rows;
  for (const Shard& s : plan.mine) {
    auto part = data::IngestWithReference({s.path}, ForShard(options, s), reference, true);
    if (!part.ok()) {
      st = part.status();
      break;
    }
    rows.push_back({s.part, part->num_rows()});
    parts.push_back(std::move(part).value());
  }
  TESSERA_RETURN_IF_ERROR(AgreeOnStatus(world, st));
  TESSERA_ASSIGN_OR_RETURN(std::vector<uint64_t> part_rows, GatherPerPart(world, rows, plan.num_parts));
  ShardedData out;
  for (uint64_t r : part_rows) out.total_rows += r;
  out.rows = SegmentsOf(plan, part_rows);
  if (parts.empty()) {
    // No share of this input: an empty table with the reference's columns and bins.
    out.data = data::BinnedDataset(reference.schema(), reference.feature_columns(), reference.mappers(), 0);
    out.data.set_label_classes(reference.label_classes());
  } else {
    out.data = data::ConcatRows(std::move(parts));
  }
  return out;
}

}  // namespace tessera::dist
