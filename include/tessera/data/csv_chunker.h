// CsvChunker: cuts a CSV byte stream into chunks of whole records, honouring RFC 4180 quotes
// (a newline inside "..." does not end a record). Each chunk lists where its records start and on
// which line, so records can be parsed on many threads and errors can name their line.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/core/uninitialized.h"
#include "tessera/data/byte_source.h"

namespace tessera::data {

using ByteBuffer = std::vector<char, tessera::UninitializedAllocator<char>>;  // read buffers: no zero fill

struct CsvRawChunk {
  std::shared_ptr<ByteBuffer> bytes;  // the records; each ends with '\n'
  std::vector<uint32_t> starts;              // record i is [starts[i], ends[i])
  std::vector<uint32_t> ends;                // offset of the '\n' that ends record i
  std::vector<uint64_t> lines;               // 1-based line where record i starts
  size_t num_records() const { return starts.size(); }
};

// Chunk buffers handed out come back here when their last user lets go, so that the next chunk
// reuses memory that is already mapped instead of faulting in fresh pages. Thread-safe.
class BufferPool {
 public:
  ByteBuffer Take();
  void Give(ByteBuffer buffer);

 private:
  std::mutex mutex_;
  std::vector<ByteBuffer> free_;
};

class CsvChunker {
 public:
  // `quotes` = false makes every '\n' end a record (LibSVM, where '"' is an ordinary character).
  CsvChunker(std::unique_ptr<ByteSource> source, size_t chunk_bytes, bool quotes = true);
  // Next chunk of records (blank lines dropped); false at the end of the stream. A quote left
  // open at the end of the stream is an error naming the line where the field began.
  Result<bool> Next(CsvRawChunk* chunk);
  const ByteSource& source() const { return *source_; }

 private:
  Status Fill(size_t want);
  std::unique_ptr<ByteSource> source_;
  size_t chunk_bytes_;
  bool quotes_;
  ByteBuffer pending_;  // bytes read but not yet handed out (a partial record)
  std::shared_ptr<BufferPool> pool_ = std::make_shared<BufferPool>();
  bool eof_ = false;
  bool first_chunk_ = true;
  uint64_t next_line_ = 1;
};

}  // namespace tessera::data
