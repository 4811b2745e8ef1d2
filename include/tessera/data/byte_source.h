// ByteSource: a file read front to back in blocks, decompressed on the fly when its name ends in
// .gz or .zst. Truncated or corrupt compressed streams are errors naming the byte offset.
// Not thread-safe; one reader at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tessera/core/status.h"

namespace tessera::data {

// A share of one uncompressed text file for a process that reads only its part: the lines that
// start at a byte offset in [begin, end) (a line starts at offset 0 or after a '\n'). Ranges that
// tile a file share its lines out exactly, each line to one range. end == 0 means the whole file.
struct ByteRange {
  uint64_t begin = 0, end = 0;
  bool whole() const { return end == 0; }
};

enum class Compression { kNone, kGzip, kZstd };

// Compression chosen by the file name's extension (".gz", ".gzip", ".zst", ".zstd").
Compression CompressionFromPath(const std::string& path);
// The file name without its compression extension ("a.csv.gz" -> "a.csv").
std::string StripCompressionExtension(const std::string& path);

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Opens `path`, choosing the decoder from its extension.
  static Result<std::unique_ptr<ByteSource>> Open(const std::string& path);
  // The lines of `range` of the uncompressed file `path`; with `header`, the file's first line is
  // put in front when the range does not start with it (every share then reads as a whole CSV).
  // A line break inside a quoted field must not fall at a share's edge: split such files into
  // part files instead.
  static Result<std::unique_ptr<ByteSource>> OpenLines(const std::string& path, ByteRange range, bool header);
  // Same, from bytes already in memory (tests and fuzzers).
  static Result<std::unique_ptr<ByteSource>> FromMemory(std::string name, std::string bytes,
                                                        Compression compression);

  // Reads up to `capacity` decoded bytes into `out`; returns 0 only at the end of the data.
  virtual Result<size_t> Read(char* out, size_t capacity) = 0;
  // Bytes of the underlying (compressed) file consumed so far, for progress.
  virtual uint64_t raw_offset() const = 0;
  // Size of the underlying file in bytes (0 when unknown).
  virtual uint64_t raw_size() const = 0;
  const std::string& name() const { return name_; }

 protected:
  std::string name_;
};

}  // namespace tessera::data
