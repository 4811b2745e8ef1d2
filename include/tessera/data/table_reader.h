// TableReader: the common face of the text readers (CSV, LibSVM). A reader streams a table in
// chunks of whole rows, already converted to columns by the schema's types, so that consumers
// (profiling, binning, prediction) never see text. Rewind() starts over for a second pass.
// Not thread-safe: one consumer drives a reader; the reader parses each chunk on many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/byte_source.h"
#include "tessera/data/schema.h"

namespace tessera::data {

// One column of a chunk. Numeric, boolean and datetime columns fill `numbers` (NaN = missing);
// categorical columns fill `texts` (a default-constructed view = missing). Ignored columns stay
// empty.
struct ChunkColumn {
  std::vector<float> numbers;
  std::vector<std::string_view> texts;
};

struct TableChunk {
  size_t num_rows = 0;               // rows in this chunk (after sampling)
  uint64_t rows_scanned = 0;         // rows of the input this chunk covered, kept or not
  std::vector<ChunkColumn> columns;  // one per schema column
  std::string source;                // file the rows came from
  std::vector<uint64_t> row_lines;   // 1-based line of each row in `source`, for messages
  std::vector<int64_t> groups;       // LibSVM qid per row, when present
  std::shared_ptr<void> storage;     // keeps the bytes behind `texts` alive
};

struct ReadOptions {
  char delimiter = 0;            // CSV: 0 detects from the header (',', '\t', ';', '|')
  bool header = true;            // CSV: first line names the columns
  size_t chunk_bytes = 4 << 20;  // bytes of text per chunk (one more is read ahead)
  size_t sample_rows = 20000;    // rows read to infer column types
  int threads = 0;               // 0 = all cores
  size_t max_features = 100000;  // LibSVM: highest feature index + 1 accepted (dense storage)
  ByteRange byte_range;          // CSV, one uncompressed file: read only these lines (ByteSource::OpenLines)
};

// Keeps a deterministic pseudo-random share of rows: row i (counted from the first row of the
// first file) is kept when a hash of (seed, i) falls below rate. The same rows are kept whatever
// the chunk size or thread count.
struct RowSampler {
  double rate = 1.0;
  uint64_t seed = 0;
  bool Keep(uint64_t row) const {
    if (rate >= 1.0) return true;
    uint64_t z = (row + 1) * 0x9E3779B97F4A7C15ull ^ seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0) < rate;
  }
};

class TableReader {
 public:
  virtual ~TableReader() = default;
  virtual const Schema& schema() const = 0;
  // Replaces the schema (after the user's overrides); column count and order must not change.
  virtual Status SetSchema(Schema schema) = 0;
  // Fills `chunk` with the next rows; returns false at the end of the table. With a sampler,
  // only the rows it keeps are parsed and returned (rows_scanned still counts them all).
  virtual Result<bool> Next(TableChunk* chunk, const RowSampler* sampler = nullptr) = 0;
  // Rough number of rows in the input (from the first chunk's bytes per row), 0 if unknown.
  virtual double EstimateRows() const = 0;
  // Starts again from the first row.
  virtual Status Rewind() = 0;
  // For progress: input bytes consumed so far and in all.
  virtual uint64_t bytes_done() const = 0;
  virtual uint64_t bytes_total() const = 0;
};

// InputFiles: the files a reader goes through in order (or one stream, which can be read once),
// their sizes for progress, and the decoded byte source of each. Not thread-safe.
class InputFiles {
 public:
  // With a byte range (one file only), the file's lines in that range, after its header line.
  explicit InputFiles(std::vector<std::string> files, ByteRange range = {}, bool header = true);
  explicit InputFiles(std::unique_ptr<ByteSource> stream);
  size_t size() const { return names_.size(); }
  const std::string& name(size_t i) const { return names_[i]; }
  uint64_t total_bytes() const { return total_; }
  // Bytes of the files before file i (for progress).
  uint64_t bytes_before(size_t i) const;
  // Opens file i (a stream only the first time).
  Result<std::unique_ptr<ByteSource>> Open(size_t i);

 private:
  std::vector<std::string> names_;
  std::vector<uint64_t> sizes_;
  uint64_t total_ = 0;
  std::unique_ptr<ByteSource> stream_;
  bool from_stream_ = false;
  std::vector<std::string> paths_;  // names_ are paths unless a byte range is read
  ByteRange range_;
  bool header_ = true;
};

// Expands a path into the files it names: a file; a directory (its part files, sorted, skipping
// hidden and "_"-prefixed files such as _SUCCESS); or a glob pattern ("part-*.csv").
Result<std::vector<std::string>> ExpandInputPaths(const std::vector<std::string>& inputs);

enum class TableFormat { kCsv, kLibSvm, kTsr };
// Format from the file name: .tsr, .svm/.libsvm/.svmlight (optionally compressed), else CSV/TSV.
TableFormat FormatFromPath(const std::string& path);

// Opens a CSV or LibSVM reader (by the first file's extension) and infers the schema.
Result<std::unique_ptr<TableReader>> OpenTableReader(const std::vector<std::string>& files,
                                                     const ReadOptions& options);

}  // namespace tessera::data
