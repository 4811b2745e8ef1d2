#include "tessera/data/csv_chunker.h"

#include <cstring>

namespace tessera::data {

ByteBuffer BufferPool::Take() {
  std::lock_guard lock(mutex_);
  if (free_.empty()) return ByteBuffer();
  ByteBuffer b = std::move(free_.back());
  free_.pop_back();
  return b;
}

void BufferPool::Give(ByteBuffer buffer) {
  std::lock_guard lock(mutex_);
  if (free_.size() < 2) free_.push_back(std::move(buffer));  // more would only hold memory
}

CsvChunker::CsvChunker(std::unique_ptr<ByteSource> source, size_t chunk_bytes, bool quotes)
    : source_(std::move(source)),
      chunk_bytes_(std::max<size_t>(chunk_bytes, 4096)),
      quotes_(quotes) {}

Status CsvChunker::Fill(size_t want) {
  size_t have = pending_.size();
  if (have >= want || eof_) return Status::Ok();
  if (pending_.capacity() < want) {
    // Move the partial record into a full-size buffer from the pool (one a finished chunk gave
    // back), so only the chunk being parsed and the one being read hold big buffers.
    ByteBuffer big = pool_->Take();
    big.assign(pending_.begin(), pending_.end());
    pending_.swap(big);
  }
  pending_.resize(want);
  while (have < want) {
    auto n = source_->Read(pending_.data() + have, want - have);
    if (!n.ok()) {
      pending_.resize(have);
      return n.status();
    }
    if (n.value() == 0) {
      eof_ = true;
      break;
    }
    have += n.value();
  }
  pending_.resize(have);
  return Status::Ok();
}

Result<bool> CsvChunker::Next(CsvRawChunk* chunk) {
  size_t want = chunk_bytes_;
  for (;;) {
    TESSERA_RETURN_IF_ERROR(Fill(want));
    if (pending_.empty()) return false;
    if (first_chunk_ && pending_.size() >= 3 && std::memcmp(pending_.data(), "\xEF\xBB\xBF", 3) == 0)
      pending_.erase(pending_.begin(), pending_.begin() + 3);  // UTF-8 byte order mark
    first_chunk_ = false;
    if (eof_ && !pending_.empty() && pending_.back() != '\n') pending_.push_back('\n');

    // Find record ends: newlines outside quotes. Quote parity per line is enough for RFC 4180,
    // since an escaped quote ("") flips it twice.
    const char* data = pending_.data();
    const size_t size = pending_.size();
    chunk->starts.clear();
    chunk->ends.clear();
    chunk->lines.clear();
    bool in_quotes = false;
    size_t pos = 0, record_start = 0, cut = 0;
    uint64_t line = next_line_, record_line = next_line_;
    if (!std::memchr(data, '"', size)) {
      // No quotes at all (the common case): every newline ends a record.
      for (const char* nl; (nl = static_cast<const char*>(std::memchr(data + pos, '\n', size - pos)));) {
        size_t end = static_cast<size_t>(nl - data);
        bool blank = end == record_start || (end == record_start + 1 && data[record_start] == '\r');
        if (!blank) {
          chunk->starts.push_back(static_cast<uint32_t>(record_start));
          chunk->ends.push_back(static_cast<uint32_t>(end));
          chunk->lines.push_back(line);
        }
        ++line;
        pos = record_start = cut = end + 1;
        record_line = line;
      }
      pos = size;  // nothing after the last newline needs scanning again
    }
    while (pos < size) {
      const char* nl = static_cast<const char*>(std::memchr(data + pos, '\n', size - pos));
      if (!nl) break;
      size_t end = static_cast<size_t>(nl - data);
      if (quotes_)
        for (const char* q = static_cast<const char*>(std::memchr(data + pos, '"', end - pos)); q;
             q = static_cast<const char*>(std::memchr(q + 1, '"', static_cast<size_t>(nl - q - 1))))
          in_quotes = !in_quotes;
      ++line;
      pos = end + 1;
      if (in_quotes) continue;
      bool blank = end == record_start || (end == record_start + 1 && data[record_start] == '\r');
      if (!blank) {
        chunk->starts.push_back(static_cast<uint32_t>(record_start));
        chunk->ends.push_back(static_cast<uint32_t>(end));
        chunk->lines.push_back(record_line);
      }
      record_start = cut = pos;
      record_line = line;
    }
    if (chunk->starts.empty() && cut == 0) {
      if (eof_) {
        if (in_quotes)
          return Status::AtLocation(source_->name(), record_line, 0,
                                    "a quoted field is never closed (missing '\"' before the end of the file)");
        pending_.clear();  // only blank lines were left
        next_line_ = line;
        return false;
      }
      want = pending_.size() * 2;  // one record is longer than a chunk: read more
      continue;
    }
    if (chunk->starts.empty()) {
      // Only blank lines in this piece: drop them and go on.
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(cut));
      next_line_ = record_line;
      continue;
    }
    // Hand out [0, cut) and keep the partial record for the next call.
    std::shared_ptr<ByteBuffer> bytes(new ByteBuffer(std::move(pending_)), [pool = pool_](ByteBuffer* b) {
      pool->Give(std::move(*b));
      delete b;
    });
    pending_ = ByteBuffer(bytes->begin() + static_cast<long>(cut), bytes->end());  // the partial record
    bytes->resize(cut);
    chunk->bytes = std::move(bytes);
    next_line_ = record_line;
    return true;
  }
}

}  // namespace tessera::data
