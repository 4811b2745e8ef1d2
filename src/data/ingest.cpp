#include "tessera/data/ingest.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tessera/core/parallel.h"
#include "tessera/core/progress.h"
#include "tessera/data/datetime_parts.h"
#include "tessera/data/libsvm_reader.h"
#include "tessera/data/tsr_file.h"

namespace tessera::data {

namespace {

// Writes the bins of one chunk's feature columns into rows [first_row, first_row + n).
template <typename Cell>
void BinChunk(const TableChunk& chunk, BinnedDataset* ds, size_t first_row, int threads) {
  const size_t nf = ds->num_features();
  Cell* cells = reinterpret_cast<Cell*>(ds->mutable_cells());
  ParallelFor(chunk.num_rows, threads, [&](size_t b, size_t e, size_t) {
    for (size_t f = 0; f < nf; ++f) {
      const BinMapper& m = ds->mappers()[f];
      const ChunkColumn& col = chunk.columns[ds->feature_columns()[f]];
      Cell* out = cells + (first_row + b) * nf + f;
      if (m.kind() == BinMapper::Kind::kNumeric) {
        m.BinValues(col.numbers.data() + b, e - b, out, nf);
      } else {
        for (size_t r = b; r < e; ++r, out += nf) {
          std::string_view t = col.texts[r];
          *out = static_cast<Cell>(t.data() == nullptr ? BinMapper::kMissingBin : m.BinOfCategory(t));
        }
      }
    }
  }, 4096);
}

Status ChangedError(const std::string& source) {
  return Status::UserError(source + ": the input changed between the two reading passes");
}

}  // namespace

Result<std::unique_ptr<TableReader>> OpenTable(const std::vector<std::string>& inputs, const IngestOptions& options) {
  TESSERA_ASSIGN_OR_RETURN(auto files, ExpandInputPaths(inputs));
  TESSERA_ASSIGN_OR_RETURN(auto reader, OpenTableReader(files, options.read));
  Schema schema = reader->schema();
  TESSERA_RETURN_IF_ERROR(schema.Apply(options.schema, files[0]));
  TESSERA_RETURN_IF_ERROR(reader->SetSchema(std::move(schema)));
  return reader;
}

RowSampler BinSampler(const IngestOptions& options, double estimated_rows) {
  RowSampler sampler;
  sampler.seed = options.seed;
  if (options.bin_sample_rows > 0 && estimated_rows > 2.0 * static_cast<double>(options.bin_sample_rows)) {
    // A power of two, so that a slightly different estimate seldom changes the sample; the
    // sample holds between bin_sample_rows and twice that.
    double rate = static_cast<double>(options.bin_sample_rows) / estimated_rows;
    sampler.rate = std::exp2(std::ceil(std::log2(rate)));
  }
  return sampler;
}

std::vector<BinMapper> BuildBinMappers(const Schema& schema, const TableProfile& profile, const IngestOptions& options) {
  std::vector<BinMapper> mappers;
  for (size_t c : schema.FeatureIndices()) {
    const ColumnProfile& p = profile.columns()[c];
    if (schema.column(c).type == ColumnType::kCategorical) {
      std::vector<std::pair<std::string, uint64_t>> counts(p.categories.begin(), p.categories.end());
      mappers.push_back(BinMapper::FromCategoryCounts(counts, options.max_bin, options.min_category_count));
    } else {
      mappers.push_back(BinMapper::FromSketch(p.sketch, options.max_bin));
    }
  }
  return mappers;
}

// The second pass: parses every row and bins it into `ds` (allocated at its final size), with
// labels, weights and group ids. Text labels take the ids of `label_classes` when given, else
// ids by name of the classes met.
Status BinAllRows(TableReader* reader, BinnedDataset* out, int threads, bool progress,
                  const std::vector<std::string>* label_classes) {
  BinnedDataset& ds = *out;
  const Schema& schema = reader->schema();
  const int label_col = schema.FindRole(ColumnRole::kLabel);
  const int weight_col = schema.FindRole(ColumnRole::kWeight);
  const int group_col = schema.FindRole(ColumnRole::kGroup);
  // Text labels get ids in order of first appearance while binning, renumbered by name at the end
  // (the sample may not have seen every class).
  CategoryIndex label_index;
  std::vector<std::string> label_names;
  const bool text_label = label_col >= 0 && schema.column(label_col).type == ColumnType::kCategorical;
  if (label_col >= 0) ds.mutable_labels().resize(ds.num_rows());
  if (weight_col >= 0) ds.mutable_weights().resize(ds.num_rows());

  if (label_classes)
    for (const auto& name : *label_classes) label_index.emplace(name, static_cast<uint32_t>(label_names.size())), label_names.push_back(name);
  Progress bar("binning", reader->bytes_total(), "B", progress);
  TableChunk chunk;
  size_t row = 0;
  for (;;) {
    TESSERA_ASSIGN_OR_RETURN(bool any, reader->Next(&chunk));
    if (!any) break;
    if (row + chunk.num_rows > ds.num_rows() || chunk.columns.size() != schema.size()) return ChangedError(chunk.source);
    if (ds.bytes_per_cell() == 1) BinChunk<uint8_t>(chunk, &ds, row, threads);
    else BinChunk<uint16_t>(chunk, &ds, row, threads);
    if (label_col >= 0) {
      const ChunkColumn& col = chunk.columns[label_col];
      const std::string& name = schema.column(label_col).name;
      for (size_t r = 0; r < chunk.num_rows; ++r) {
        float y;
        if (text_label) {
          std::string_view t = col.texts[r];
          if (t.data() == nullptr)
            return Status::AtLocation(chunk.source, chunk.row_lines[r], 0, "missing value in label column '" + name + "'");
          auto it = label_index.find(t);
          if (it == label_index.end() && label_classes)
            return Status::AtLocation(chunk.source, chunk.row_lines[r], 0,
                                      "label '" + std::string(t) + "' is not one of the classes the model knows");
          if (it == label_index.end()) {
            it = label_index.emplace(std::string(t), static_cast<uint32_t>(label_names.size())).first;
            label_names.emplace_back(t);
          }
          y = static_cast<float>(it->second);
        } else {
          y = col.numbers[r];
          if (std::isnan(y))
            return Status::AtLocation(chunk.source, chunk.row_lines[r], 0, "missing value in label column '" + name + "'");
          if (std::isinf(y))
            return Status::AtLocation(chunk.source, chunk.row_lines[r], 0, "infinite value in label column '" + name + "'");
        }
        ds.mutable_labels()[row + r] = y;
      }
    }
    if (weight_col >= 0) {
      const ChunkColumn& col = chunk.columns[weight_col];
      for (size_t r = 0; r < chunk.num_rows; ++r) {
        float w = col.numbers[r];
        if (!(w >= 0) || std::isinf(w))
          return Status::AtLocation(chunk.source, chunk.row_lines[r], 0,
                                    "expected a finite weight >= 0 in column '" + schema.column(weight_col).name + "'");
        ds.mutable_weights()[row + r] = w;
      }
    }
    if (group_col >= 0 || !chunk.groups.empty()) {
      if (ds.groups().empty()) ds.mutable_groups().resize(ds.num_rows());
      for (size_t r = 0; r < chunk.num_rows; ++r) {
        int64_t g = chunk.groups.empty() ? 0 : chunk.groups[r];
        if (group_col >= 0) {
          float v = chunk.columns[group_col].numbers[r];
          if (!std::isfinite(v))
            return Status::AtLocation(chunk.source, chunk.row_lines[r], 0,
                                      "expected a group id in column '" + schema.column(group_col).name + "'");
          g = static_cast<int64_t>(v);
        }
        ds.mutable_groups()[row + r] = g;
      }
    }
    row += chunk.num_rows;
    bar.Set(reader->bytes_done());
  }
  bar.Finish();
  if (row != ds.num_rows()) return ChangedError(chunk.source);
  if (text_label && !label_classes) {
    std::vector<uint32_t> order(label_names.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return label_names[a] < label_names[b]; });
    std::vector<float> renumber(order.size());
    std::vector<std::string> sorted_names;
    for (uint32_t rank = 0; rank < order.size(); ++rank) {
      renumber[order[rank]] = static_cast<float>(rank);
      sorted_names.push_back(label_names[order[rank]]);
    }
    for (float& y : ds.mutable_labels()) y = renumber[static_cast<size_t>(y)];
    ds.set_label_classes(std::move(sorted_names));
  } else if (label_classes) {
    ds.set_label_classes(*label_classes);
  }
  return Status::Ok();
}


Result<BinnedDataset> IngestBinned(const std::vector<std::string>& inputs, const IngestOptions& options) {
  if (options.max_bin < 2 || options.max_bin > 65535)
    return Status::UserError("max_bin must be between 2 and 65535, got " + std::to_string(options.max_bin));
  TESSERA_ASSIGN_OR_RETURN(auto files, ExpandInputPaths(inputs));
  if (FormatFromPath(files[0]) == TableFormat::kTsr) {
    if (files.size() != 1) return Status::UserError("give one .tsr cache at a time");
    return LoadTsr(files[0], options.read.threads);
  }
  TESSERA_ASSIGN_OR_RETURN(auto reader, OpenTable(files, options));
  const int threads = ResolveThreads(options.read.threads);
  const RowSampler sampler = BinSampler(options, reader->EstimateRows());
  std::vector<BinMapper> mappers;
  uint64_t rows = 0;
  {
    // The profile (sketches, category counts) is let go before the matrix is allocated.
    TESSERA_ASSIGN_OR_RETURN(TableProfile profile, ProfileTable(reader.get(), threads, options.progress, &sampler));
    if (profile.rows() == 0) return Status::UserError(files[0] + ": no data rows after the header");
    mappers = BuildBinMappers(reader->schema(), profile, options);
    rows = profile.rows();
  }
  const Schema schema = reader->schema();  // final now: LibSVM grows it during the first pass
  std::vector<size_t> feature_columns = schema.FeatureIndices();
  if (feature_columns.empty()) return Status::UserError(files[0] + ": no feature columns left to train on");
  BinnedDataset ds(schema, feature_columns, std::move(mappers), rows);

  TESSERA_RETURN_IF_ERROR(reader->Rewind());
  TESSERA_RETURN_IF_ERROR(BinAllRows(reader.get(), &ds, threads, options.progress, nullptr));
  return ds;
}

Result<std::unique_ptr<TableReader>> OpenTableWithReference(const std::vector<std::string>& inputs, const IngestOptions& options,
                                                            const BinnedDataset& reference, bool need_labels,
                                                            std::vector<size_t>* feature_columns_out) {
  TESSERA_ASSIGN_OR_RETURN(auto files, ExpandInputPaths(inputs));
  if (FormatFromPath(files[0]) == TableFormat::kTsr)
    return Status::UserError(files[0] + ": give the raw data (CSV or LibSVM) here; a .tsr cache has bins of its own");
  TESSERA_ASSIGN_OR_RETURN(auto reader, OpenTableReader(files, options.read));
  if (auto* libsvm = dynamic_cast<LibSvmReader*>(reader.get())) {
    // LibSVM columns exist once an index is seen: declare the model's features up front.
    size_t features = 0;
    for (size_t f = 0; f < reference.num_features(); ++f) {
      const std::string& name = reference.feature_name(f);
      if (name.size() > 1 && name[0] == 'f') features = std::max<size_t>(features, std::stoul(name.substr(1)) + 1);
    }
    libsvm->EnsureFeatures(features);
  }
  // Columns take the reference's type and role by name; columns it does not know are ignored.
  const Schema& ref = reference.schema();
  Schema schema = reader->schema();
  for (auto& col : schema.mutable_columns()) {
    int i = ref.Find(col.name);
    if (i < 0) {
      col.role = ColumnRole::kIgnored;
    } else {
      col.type = ref.column(i).type;
      col.role = ref.column(i).role;
      if (col.role == ColumnRole::kWeight || col.role == ColumnRole::kGroup) col.role = ColumnRole::kIgnored;
    }
  }
  TESSERA_RETURN_IF_ERROR(AppendDerivedColumnsOf(ref, &schema, files[0]));
  std::vector<size_t>& feature_columns = *feature_columns_out;
  feature_columns.clear();
  for (size_t f = 0; f < reference.num_features(); ++f) {
    const std::string& name = reference.feature_name(f);
    int i = schema.Find(name);
    if (i < 0) return Status::UserError(files[0] + ": the model needs column '" + name + "', which the input does not have");
    feature_columns.push_back(static_cast<size_t>(i));
  }
  const int ref_label = ref.FindRole(ColumnRole::kLabel);
  if (need_labels && (ref_label < 0 || schema.Find(ref.column(ref_label).name) < 0))
    return Status::UserError(files[0] + ": labels are needed, but the input has no column '" +
                             (ref_label < 0 ? std::string("(none)") : ref.column(ref_label).name) + "'");
  TESSERA_RETURN_IF_ERROR(reader->SetSchema(schema));
  return reader;
}

Result<BinnedDataset> IngestWithReference(const std::vector<std::string>& inputs, const IngestOptions& options,
                                          const BinnedDataset& reference, bool need_labels) {
  std::vector<size_t> feature_columns;
  TESSERA_ASSIGN_OR_RETURN(auto reader, OpenTableWithReference(inputs, options, reference, need_labels, &feature_columns));
  // Count the rows first (a scan that parses nothing), so the matrix is allocated once.
  RowSampler none;
  none.rate = 0;
  uint64_t rows = 0;
  TableChunk chunk;
  for (;;) {
    TESSERA_ASSIGN_OR_RETURN(bool any, reader->Next(&chunk, &none));
    if (!any) break;
    rows += chunk.rows_scanned;
  }
  BinnedDataset ds(reader->schema(), feature_columns, reference.mappers(), rows);
  TESSERA_RETURN_IF_ERROR(reader->Rewind());
  const std::vector<std::string>* classes = reference.label_classes().empty() ? nullptr : &reference.label_classes();
  TESSERA_RETURN_IF_ERROR(BinAllRows(reader.get(), &ds, ResolveThreads(options.read.threads), options.progress, classes));
  return ds;
}

}  // namespace tessera::data
