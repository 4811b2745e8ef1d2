#include "tessera/data/table_profile.h"

#include <algorithm>
#include <cmath>

#include "tessera/core/parallel.h"
#include "tessera/core/progress.h"

namespace tessera::data {

void ColumnProfile::ObserveNumbers(const std::vector<float>& values) {
  for (float v : values) {
    if (std::isnan(v)) {
      ++missing;
      continue;
    }
    ++count;
    sum += v;
    min = std::min<double>(min, v);
    max = std::max<double>(max, v);
    sketch.Push(v);
  }
}

void ColumnProfile::ObserveTexts(const std::vector<std::string_view>& values) {
  for (std::string_view v : values) {
    if (v.data() == nullptr) {
      ++missing;
      continue;
    }
    ++count;
    auto it = categories.find(v);
    if (it != categories.end()) ++it->second;
    else categories.emplace(std::string(v), 1);
  }
}

void ColumnProfile::AddZeros(uint64_t n) {
  if (n == 0) return;
  count += n;
  min = std::min(min, 0.0);
  max = std::max(max, 0.0);
  sketch.Push(0.0f, static_cast<double>(n));
}

void ColumnProfile::Merge(const ColumnProfile& other) {
  count += other.count;
  missing += other.missing;
  sum += other.sum;
  min = std::min(min, other.min);
  max = std::max(max, other.max);
  sketch.Merge(other.sketch);
  for (const auto& [name, n] : other.categories) categories[name] += n;
}

std::vector<std::pair<std::string, uint64_t>> ColumnProfile::SortedCategories() const {
  std::vector<std::pair<std::string, uint64_t>> out(categories.begin(), categories.end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return out;
}

void TableProfile::Observe(const TableChunk& chunk, const Schema& schema) {
  const size_t before = columns_.size();
  if (chunk.columns.size() > before) {
    columns_.resize(chunk.columns.size());
    for (size_t c = before; c < columns_.size(); ++c) columns_[c].AddZeros(observed_rows_);
  }
  // One column per task: each column's sketch sees its values in row order whatever the threads.
  ParallelFor(chunk.columns.size(), ResolveThreads(threads_), [&](size_t b, size_t e, size_t) {
    for (size_t c = b; c < e; ++c) {
      if (schema.column(c).role == ColumnRole::kIgnored) continue;
      if (schema.column(c).type == ColumnType::kCategorical) columns_[c].ObserveTexts(chunk.columns[c].texts);
      else columns_[c].ObserveNumbers(chunk.columns[c].numbers);
    }
  });
  rows_ += chunk.rows_scanned;
  observed_rows_ += chunk.num_rows;
}

void TableProfile::Merge(const TableProfile& other) {
  if (other.columns_.size() > columns_.size()) {
    size_t before = columns_.size();
    columns_.resize(other.columns_.size());
    for (size_t c = before; c < columns_.size(); ++c) columns_[c].AddZeros(observed_rows_);
  }
  for (size_t c = 0; c < other.columns_.size(); ++c) columns_[c].Merge(other.columns_[c]);
  for (size_t c = other.columns_.size(); c < columns_.size(); ++c) columns_[c].AddZeros(other.observed_rows_);
  rows_ += other.rows_;
  observed_rows_ += other.observed_rows_;
}

std::string TableProfile::Serialize() const {
  ByteWriter out;
  out.Put<uint64_t>(rows_);
  out.Put<uint64_t>(observed_rows_);
  out.Put<uint64_t>(columns_.size());
  for (const ColumnProfile& c : columns_) {
    out.Put(c.count), out.Put(c.missing), out.Put(c.min), out.Put(c.max), out.Put(c.sum);
    c.sketch.WriteTo(&out);
    // Sorted, so that equal profiles give equal bytes.
    const auto categories = c.SortedCategories();
    out.Put<uint64_t>(categories.size());
    for (const auto& [name, n] : categories) out.PutString(name), out.Put(n);
  }
  return out.Take();
}

Result<TableProfile> TableProfile::Deserialize(std::string_view bytes, int threads) {
  ByteReader in(bytes, "table profile");
  TableProfile p(threads);
  TESSERA_ASSIGN_OR_RETURN(p.rows_, in.Get<uint64_t>());
  TESSERA_ASSIGN_OR_RETURN(p.observed_rows_, in.Get<uint64_t>());
  TESSERA_ASSIGN_OR_RETURN(uint64_t columns, in.Get<uint64_t>());
  TESSERA_RETURN_IF_ERROR(in.CheckRoom(columns, 48));
  p.columns_.resize(columns);
  for (ColumnProfile& c : p.columns_) {
    TESSERA_ASSIGN_OR_RETURN(c.count, in.Get<uint64_t>());
    TESSERA_ASSIGN_OR_RETURN(c.missing, in.Get<uint64_t>());
    TESSERA_ASSIGN_OR_RETURN(c.min, in.Get<double>());
    TESSERA_ASSIGN_OR_RETURN(c.max, in.Get<double>());
    TESSERA_ASSIGN_OR_RETURN(c.sum, in.Get<double>());
    TESSERA_ASSIGN_OR_RETURN(c.sketch, QuantileSketch::ReadFrom(&in, c.sketch.max_entries(), 16384));
    TESSERA_ASSIGN_OR_RETURN(uint64_t categories, in.Get<uint64_t>());
    TESSERA_RETURN_IF_ERROR(in.CheckRoom(categories, 16));
    for (uint64_t i = 0; i < categories; ++i) {
      TESSERA_ASSIGN_OR_RETURN(std::string name, in.GetString());
      TESSERA_ASSIGN_OR_RETURN(uint64_t n, in.Get<uint64_t>());
      c.categories[name] += n;
    }
  }
  if (!in.done()) return Status::Internal("table profile: bytes left over after the last column");
  return p;
}

Result<TableProfile> ProfileTable(TableReader* reader, int threads, bool progress, const RowSampler* sampler) {
  TableProfile profile(threads);
  Progress bar(sampler && sampler->rate < 1 ? "sampling" : "reading", reader->bytes_total(), "B", progress);
  TableChunk chunk;
  for (;;) {
    TESSERA_ASSIGN_OR_RETURN(bool any, reader->Next(&chunk, sampler));
    if (!any) break;
    profile.Observe(chunk, reader->schema());
    bar.Set(reader->bytes_done());
  }
  bar.Finish();
  return profile;
}

}  // namespace tessera::data
