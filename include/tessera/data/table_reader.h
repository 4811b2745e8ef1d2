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
  size_t num_rows = 0;
  std::vector<ChunkColumn> columns;  // one per schema column
  std::string source;                // file the rows came from
  std::vector<uint64_t> row_lines;   // 1-based line of each row in `source`, for messages
  std::vector<int64_t> groups;       // LibSVM qid per row, when present
  std::shared_ptr<void> storage;     // keeps the bytes behind `texts` alive
};

struct ReadOptions {
  char delimiter = 0;            // CSV: 0 detects from the header (',', '\t', ';', '|')
  bool header = true;            // CSV: first line names the columns
  size_t chunk_bytes = 16 << 20;  // bytes of text per chunk
  size_t sample_rows = 20000;    // rows read to infer column types
  int threads = 0;               // 0 = all cores
};

class TableReader {
 public:
  virtual ~TableReader() = default;
  virtual const Schema& schema() const = 0;
  // Replaces the schema (after the user's overrides); column count and order must not change.
  virtual Status SetSchema(Schema schema) = 0;
  // Fills `chunk` with the next rows; returns false at the end of the table.
  virtual Result<bool> Next(TableChunk* chunk) = 0;
  // Starts again from the first row.
  virtual Status Rewind() = 0;
  // For progress: input bytes consumed so far and in all.
  virtual uint64_t bytes_done() const = 0;
  virtual uint64_t bytes_total() const = 0;
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
