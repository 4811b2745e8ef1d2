#include "tessera/data/libsvm_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

#include "tessera/core/parallel.h"

namespace tessera::data {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

constexpr uint32_t kMaxFeatureIndex = 10'000'000;

}  // namespace

bool ParseLibSvmLine(std::string_view line, LibSvmLine* out, size_t* error_offset, std::string* error_what) {
  out->entries.clear();
  out->has_qid = false;
  size_t hash = line.find('#');
  if (hash != std::string_view::npos) line = line.substr(0, hash);
  size_t p = 0;
  auto token = [&](size_t* start) {
    while (p < line.size() && IsSpace(line[p])) ++p;
    *start = p;
    while (p < line.size() && !IsSpace(line[p])) ++p;
    return line.substr(*start, p - *start);
  };
  size_t at;
  std::string_view label = token(&at);
  if (label.empty()) {
    *error_offset = at;
    *error_what = "a label at the start of the line";
    return false;
  }
  if (!ParseNumber(label, &out->label)) {
    *error_offset = at;
    *error_what = "a numeric label, found '" + std::string(label.substr(0, 40)) + "'";
    return false;
  }
  int64_t last_index = -1;
  for (;;) {
    std::string_view tok = token(&at);
    if (tok.empty()) return true;
    size_t colon = tok.find(':');
    if (colon == std::string_view::npos) {
      *error_offset = at;
      *error_what = "index:value, found '" + std::string(tok.substr(0, 40)) + "'";
      return false;
    }
    std::string_view key = tok.substr(0, colon), value = tok.substr(colon + 1);
    if (key == "qid") {
      auto r = std::from_chars(value.data(), value.data() + value.size(), out->qid);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size()) {
        *error_offset = at + colon + 1;
        *error_what = "an integer query id after 'qid:'";
        return false;
      }
      out->has_qid = true;
      continue;
    }
    uint32_t index;
    auto r = std::from_chars(key.data(), key.data() + key.size(), index);
    if (r.ec != std::errc() || r.ptr != key.data() + key.size() || index > kMaxFeatureIndex) {
      *error_offset = at;
      *error_what = "a feature index (an integer from 0 to " + std::to_string(kMaxFeatureIndex) + ") before ':'";
      return false;
    }
    if (static_cast<int64_t>(index) <= last_index) {
      *error_offset = at;
      *error_what = "feature indices in increasing order";
      return false;
    }
    last_index = index;
    float v;
    if (!ParseNumber(value, &v)) {
      *error_offset = at + colon + 1;
      *error_what = "a number after ':', found '" + std::string(value.substr(0, 40)) + "'";
      return false;
    }
    out->entries.emplace_back(index, v);
  }
}

LibSvmReader::LibSvmReader(InputFiles inputs, const ReadOptions& options)
    : inputs_(std::move(inputs)), options_(options) {
  schema_ = Schema({{"label", ColumnType::kNumeric, ColumnRole::kLabel}});
}

Result<std::unique_ptr<LibSvmReader>> LibSvmReader::Open(std::vector<std::string> files, const ReadOptions& options) {
  if (files.empty()) return Status::UserError("no input files");
  std::unique_ptr<LibSvmReader> reader(new LibSvmReader(InputFiles(std::move(files)), options));
  TESSERA_RETURN_IF_ERROR(reader->OpenFile(0));
  return reader;
}

Result<std::unique_ptr<LibSvmReader>> LibSvmReader::OpenSource(std::unique_ptr<ByteSource> source,
                                                               const ReadOptions& options) {
  if (!source) return Status::Internal("LibSvmReader::OpenSource: no source");
  std::unique_ptr<LibSvmReader> reader(new LibSvmReader(InputFiles(std::move(source)), options));
  TESSERA_RETURN_IF_ERROR(reader->OpenFile(0));
  return reader;
}

Status LibSvmReader::OpenFile(size_t index) {
  file_index_ = index;
  bytes_before_file_ = inputs_.bytes_before(index);
  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, inputs_.Open(index));
  chunker_ = std::make_unique<CsvChunker>(std::move(source), options_.chunk_bytes, /*quotes=*/false);
  return Status::Ok();
}

void LibSvmReader::GrowSchema(size_t num_features) {
  auto& cols = schema_.mutable_columns();
  while (cols.size() < num_features + 1)
    cols.push_back({"f" + std::to_string(cols.size() - 1), ColumnType::kNumeric, ColumnRole::kFeature});
}

Status LibSvmReader::SetSchema(Schema schema) {
  if (schema.size() != schema_.size()) return Status::Internal("LibSvmReader::SetSchema: column count changed");
  schema_ = std::move(schema);
  return Status::Ok();
}

Status LibSvmReader::Rewind() {
  rows_read_ = 0;
  pending_.clear(), pending_lines_.clear(), pending_pos_ = 0, pending_unkept_ = 0;
  return OpenFile(0);
}

double LibSvmReader::EstimateRows() const { return 0; }

uint64_t LibSvmReader::bytes_done() const {
  return bytes_before_file_ + (chunker_ ? chunker_->source().raw_offset() : 0);
}

Result<bool> LibSvmReader::Next(TableChunk* chunk, const RowSampler* sampler) {
  if (pending_pos_ < pending_.size()) {
    EmitBatch(chunk);
    return true;
  }
  CsvRawChunk raw;
  for (;;) {
    if (!chunker_) return false;
    TESSERA_ASSIGN_OR_RETURN(bool any, chunker_->Next(&raw));
    if (any) break;
    if (file_index_ + 1 >= inputs_.size()) {
      chunker_.reset();
      bytes_before_file_ = inputs_.total_bytes();
      return false;
    }
    TESSERA_RETURN_IF_ERROR(OpenFile(file_index_ + 1));
  }
  const size_t scanned = raw.num_records();
  std::vector<uint32_t> kept;
  for (size_t r = 0; r < scanned; ++r)
    if (!sampler || sampler->Keep(rows_read_ + r)) kept.push_back(static_cast<uint32_t>(r));
  rows_read_ += scanned;
  const size_t rows = kept.size();
  const std::string& path = inputs_.name(file_index_);
  std::vector<LibSvmLine> lines(rows);
  struct BlockError {
    size_t row = std::numeric_limits<size_t>::max();
    Status status;
  };
  const int threads = ResolveThreads(options_.threads);
  std::vector<BlockError> errors(static_cast<size_t>(threads));
  ParallelFor(rows, threads, [&](size_t b, size_t e, size_t block) {
    for (size_t r = b; r < e; ++r) {
      const size_t rec = kept[r];
      const char* begin = raw.bytes->data() + raw.starts[rec];
      size_t len = raw.ends[rec] - raw.starts[rec];
      size_t bad;
      std::string what;
      if (!ParseLibSvmLine(std::string_view(begin, len), &lines[r], &bad, &what)) {
        errors[block] = {r, Status::AtLocation(path, raw.lines[rec], bad + 1, "expected " + what)};
        return;
      }
    }
  }, 1024);
  for (const auto& e : errors)
    if (!e.status.ok()) {
      const BlockError* first = &e;
      for (const auto& o : errors)
        if (!o.status.ok() && o.row < first->row) first = &o;
      return first->status;
    }

  size_t num_features = schema_.size() - 1;
  for (size_t r = 0; r < rows; ++r) {
    if (lines[r].entries.empty()) continue;
    size_t index = lines[r].entries.back().first;
    if (index >= options_.max_features)
      return Status::AtLocation(path, raw.lines[kept[r]], 0,
                                "feature index " + std::to_string(index) + " is beyond the limit of " +
                                    std::to_string(options_.max_features) + " features (raise it with --max-features)");
    num_features = std::max(num_features, index + 1);
  }
  GrowSchema(num_features);
  pending_ = std::move(lines);
  pending_lines_.resize(rows);
  for (size_t r = 0; r < rows; ++r) pending_lines_[r] = raw.lines[kept[r]];
  pending_pos_ = 0;
  pending_source_ = path;
  pending_unkept_ = scanned - rows;
  EmitBatch(chunk);
  return true;
}

void LibSvmReader::EmitBatch(TableChunk* chunk) {
  // Dense batches of at most kMaxCells cells, so that wide data cannot blow memory up.
  constexpr size_t kMaxCells = size_t{16} << 20;
  const size_t width = schema_.size();
  const size_t rows = std::min(pending_.size() - pending_pos_, std::max<size_t>(1, kMaxCells / width));
  const size_t first = pending_pos_;
  bool any_qid = false;
  for (size_t r = first; r < first + rows; ++r) any_qid |= pending_[r].has_qid;
  chunk->num_rows = rows;
  chunk->rows_scanned = rows + pending_unkept_;  // rows the sampler skipped count with the first batch
  pending_unkept_ = 0;
  chunk->source = pending_source_;
  chunk->row_lines.assign(pending_lines_.begin() + static_cast<long>(first), pending_lines_.begin() + static_cast<long>(first + rows));
  chunk->storage.reset();
  chunk->columns.resize(width);
  for (size_t c = 0; c < width; ++c) {
    chunk->columns[c].texts.clear();
    if (schema_.column(c).role != ColumnRole::kIgnored) chunk->columns[c].numbers.assign(rows, 0.0f);
    else chunk->columns[c].numbers.clear();
  }
  chunk->groups.clear();
  if (any_qid) chunk->groups.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    const LibSvmLine& line = pending_[first + r];
    if (!chunk->columns[0].numbers.empty()) chunk->columns[0].numbers[r] = line.label;
    if (any_qid) chunk->groups[r] = line.qid;
    for (const auto& [index, value] : line.entries) {
      auto& col = chunk->columns[index + 1].numbers;
      if (!col.empty()) col[r] = value;
    }
  }
  pending_pos_ += rows;
  if (pending_pos_ == pending_.size()) pending_.clear(), pending_lines_.clear(), pending_pos_ = 0;
}

}  // namespace tessera::data
