// CsvReader: streams one or more CSV/TSV files (plain, .gz or .zst) as TableChunks. The header
// names the columns (every part file must repeat the same header), types are inferred from the
// first rows, and each chunk's records are split and converted on all cores.
// Not thread-safe: one consumer calls Next().
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/data/csv_chunker.h"
#include "tessera/data/table_reader.h"

namespace tessera::data {

// Reads the field starting at p in a record ending at `end`, unescaping a quoted field in place.
// Sets *last when the record ends after it, else *next to the start of the next field. On
// malformed quoting returns false with where the problem is and what was expected.
bool NextCsvField(char* p, char* end, char delimiter, std::string_view* field, char** next, bool* last,
                  const char** error_at, const char** error_what);
// Splits one record (without its line ending) into fields, unescaping quoted fields in place.
// On malformed quoting returns false with the byte offset of the problem and what was expected.
bool SplitCsvRecord(char* begin, char* end, char delimiter, std::vector<std::string_view>* fields,
                    size_t* error_offset, const char** error_what);

// The delimiter used by a header line: the most frequent of , \t ; | outside quotes.
char DetectDelimiter(std::string_view header_line);

class CsvReader final : public TableReader {
 public:
  static Result<std::unique_ptr<CsvReader>> Open(std::vector<std::string> files, const ReadOptions& options);
  // Same, from one stream already open (bytes in memory, a pipe), named source->name() in
  // messages. Such a reader makes one pass: Rewind() is an error.
  static Result<std::unique_ptr<CsvReader>> OpenSource(std::unique_ptr<ByteSource> source, const ReadOptions& options);

  const Schema& schema() const override { return schema_; }
  Status SetSchema(Schema schema) override;
  Result<bool> Next(TableChunk* chunk, const RowSampler* sampler = nullptr) override;
  double EstimateRows() const override;
  Status Rewind() override;
  uint64_t bytes_done() const override;
  ~CsvReader() override;
  uint64_t bytes_total() const override { return inputs_.total_bytes(); }
  char delimiter() const { return delimiter_; }

 private:
  CsvReader(InputFiles inputs, const ReadOptions& options);
  // Opens file `index` and reads its first chunk into held_, checking its header.
  Status OpenFile(size_t index);
  Status InferSchema();
  // The next raw chunk of the current file, from the read-ahead when one is running.
  Result<bool> NextRaw(CsvRawChunk* raw);
  // Reads the next raw chunk on another thread while the caller parses this one.
  void StartReadAhead();
  void DropReadAhead();
  Status Convert(const CsvRawChunk& raw, size_t first_record, const RowSampler* sampler, TableChunk* out);

  InputFiles inputs_;
  ReadOptions options_;
  Schema schema_;
  // For each read column, the derived columns computed from it (column index, part).
  std::vector<std::vector<std::pair<size_t, DatetimePart>>> derived_of_;
  std::vector<std::string> header_;
  char delimiter_ = ',';
  size_t file_index_ = 0;
  std::unique_ptr<CsvChunker> chunker_;
  std::optional<CsvRawChunk> held_;  // a chunk already read, still to hand out
  struct ReadAhead {
    Status status;
    bool any = false;
    CsvRawChunk raw;
    uint64_t raw_offset = 0;
  };
  std::future<ReadAhead> read_ahead_;
  uint64_t done_offset_ = 0;  // raw bytes of the current file behind the chunks handed out
  size_t held_skip_ = 0;             // records at the front of held_ to skip (the header)
  uint64_t bytes_before_file_ = 0;
  uint64_t rows_read_ = 0;        // rows handed out (or skipped by sampling) since the start
  double rows_per_raw_byte_ = 0;  // from the first chunk, for EstimateRows()
};

}  // namespace tessera::data
