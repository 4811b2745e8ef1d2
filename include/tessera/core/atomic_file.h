// AtomicFileWriter: writes a file so that readers see either the old file or the whole new one.
// Data goes to "<path>.tmp-<pid>" and is fsync'ed then renamed over `path` by Commit(); if the
// writer is destroyed without Commit() the temp file is removed. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

#include "tessera/core/status.h"

namespace tessera {

class AtomicFileWriter {
 public:
  AtomicFileWriter() = default;
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Opens the temp file beside `path`. Writing to "-" or "/dev/stdout" streams to stdout directly.
  Status Open(const std::string& path);
  Status Write(const void* data, size_t size);
  Status Write(std::string_view text) { return Write(text.data(), text.size()); }
  // Flushes, fsyncs and renames the temp file into place.
  Status Commit();
  // Removes the temp file (also done by the destructor when not committed).
  void Abort();
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  std::string path_, temp_path_;
  std::FILE* file_ = nullptr;
  bool to_stdout_ = false;
  uint64_t bytes_written_ = 0;
};

// Writes `content` to `path` atomically.
Status WriteFileAtomically(const std::string& path, std::string_view content);

}  // namespace tessera
