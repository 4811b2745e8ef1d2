// LibSvmReader: streams LibSVM/svmlight files ("label [qid:N] index:value ... [# comment]") as
// dense TableChunks: column 0 is the label, column k+1 is feature index k, absent entries are 0
// (as LightGBM and scikit-learn read them). The schema grows while the first pass discovers
// higher indices and is final once the first pass has ended. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tessera/data/csv_chunker.h"
#include "tessera/data/table_reader.h"

namespace tessera::data {

// One parsed line. Returns false with the byte offset and what was expected on bad input.
struct LibSvmLine {
  float label = 0;
  bool has_qid = false;
  int64_t qid = 0;
  std::vector<std::pair<uint32_t, float>> entries;
};
bool ParseLibSvmLine(std::string_view line, LibSvmLine* out, size_t* error_offset, std::string* error_what);

class LibSvmReader final : public TableReader {
 public:
  static Result<std::unique_ptr<LibSvmReader>> Open(std::vector<std::string> files, const ReadOptions& options);
  // Same, from one stream already open (bytes in memory, a pipe), named source->name() in
  // messages. Such a reader makes one pass: Rewind() is an error.
  static Result<std::unique_ptr<LibSvmReader>> OpenSource(std::unique_ptr<ByteSource> source,
                                                          const ReadOptions& options);

  const Schema& schema() const override { return schema_; }
  Status SetSchema(Schema schema) override;
  Result<bool> Next(TableChunk* chunk, const RowSampler* sampler = nullptr) override;
  double EstimateRows() const override;
  Status Rewind() override;
  uint64_t bytes_done() const override;
  uint64_t bytes_total() const override { return inputs_.total_bytes(); }
  // Declares feature columns f0..f{n-1} up front (reading new data against a model's columns).
  void EnsureFeatures(size_t n) { GrowSchema(n); }

 private:
  LibSvmReader(InputFiles inputs, const ReadOptions& options);
  Status OpenFile(size_t index);
  void GrowSchema(size_t num_features);
  // Hands out the next batch of parsed lines as a dense chunk.
  void EmitBatch(TableChunk* chunk);

  InputFiles inputs_;
  ReadOptions options_;
  Schema schema_;
  size_t file_index_ = 0;
  std::unique_ptr<CsvChunker> chunker_;
  uint64_t bytes_before_file_ = 0;
  uint64_t rows_read_ = 0;
  std::vector<LibSvmLine> pending_;      // parsed lines not yet handed out
  std::vector<uint64_t> pending_lines_;  // their line numbers
  size_t pending_pos_ = 0;
  uint64_t pending_unkept_ = 0;          // rows of the pending chunk the sampler skipped
  std::string pending_source_;
};

}  // namespace tessera::data
