// ByteSource::OpenLines: a share of the lines of one uncompressed file, after its header line.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tessera/data/byte_source.h"

namespace tessera::data {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

Status ReadError(const std::string& path) { return Status::UserError(path + ": read failed: " + std::strerror(errno)); }

// Offset of the first line that starts at or after `offset`: 0, or one past the first '\n' at or
// after offset - 1; `size` when there is none.
Result<uint64_t> LineStartAtOrAfter(std::FILE* f, const std::string& path, uint64_t offset, uint64_t size) {
  if (offset == 0) return uint64_t{0};
  if (offset >= size) return size;
  if (fseeko(f, static_cast<off_t>(offset - 1), SEEK_SET) != 0) return ReadError(path);
  uint64_t at = offset - 1;
  char block[4096];
  for (;;) {
    const size_t n = std::fread(block, 1, sizeof block, f);
    if (n == 0) {
      if (std::ferror(f)) return ReadError(path);
      return size;
    }
    if (const void* nl = std::memchr(block, '\n', n)) return at + static_cast<uint64_t>(static_cast<const char*>(nl) - block) + 1;
    at += n;
  }
}

class LineRangeSource final : public ByteSource {
 public:
  LineRangeSource(std::string name, File file, std::string header, uint64_t begin, uint64_t end)
      : file_(std::move(file)), header_(std::move(header)), begin_(begin), end_(end), pos_(begin) {
    name_ = std::move(name);
  }
  Result<size_t> Read(char* out, size_t capacity) override {
    size_t n = 0;
    if (header_at_ < header_.size()) {
      n = std::min(capacity, header_.size() - header_at_);
      std::memcpy(out, header_.data() + header_at_, n);
      header_at_ += n;
      return n;
    }
    const size_t want = static_cast<size_t>(std::min<uint64_t>(capacity, end_ - pos_));
    if (want == 0) return size_t{0};
    n = std::fread(out, 1, want, file_.get());
    if (n < want && std::ferror(file_.get())) return ReadError(name_);
    if (n == 0) return Status::UserError(name_ + ": the file is shorter than when it was split (changed while read?)");
    pos_ += n;
    return n;
  }
  uint64_t raw_offset() const override { return pos_ - begin_; }
  uint64_t raw_size() const override { return end_ - begin_; }

 private:
  File file_;
  std::string header_;
  size_t header_at_ = 0;
  uint64_t begin_, end_, pos_;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> ByteSource::OpenLines(const std::string& path, ByteRange range, bool header) {
  if (CompressionFromPath(path) != Compression::kNone)
    return Status::UserError(path + ": a compressed file cannot be split by bytes; give part files instead");
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::UserError(path + ": cannot open: " + std::strerror(errno));
  if (fseeko(f.get(), 0, SEEK_END) != 0) return ReadError(path);
  const uint64_t size = static_cast<uint64_t>(ftello(f.get()));
  if (range.whole()) range.end = size;
  if (range.begin > range.end) return Status::Internal(path + ": byte range begins after it ends");
  TESSERA_ASSIGN_OR_RETURN(uint64_t begin, LineStartAtOrAfter(f.get(), path, range.begin, size));
  TESSERA_ASSIGN_OR_RETURN(uint64_t end, LineStartAtOrAfter(f.get(), path, range.end, size));
  if (end < begin) end = begin;
  std::string head;
  if (header && begin > 0) {
    // The header line: the file's first line, whatever the range.
    if (fseeko(f.get(), 0, SEEK_SET) != 0) return ReadError(path);
    for (int c; (c = std::fgetc(f.get())) != EOF;) {
      head += static_cast<char>(c);
      if (c == '\n') break;
    }
    if (std::ferror(f.get())) return ReadError(path);
  }
  if (fseeko(f.get(), static_cast<off_t>(begin), SEEK_SET) != 0) return ReadError(path);
  std::string name = path + "[bytes " + std::to_string(range.begin) + ".." + std::to_string(range.end) + ")";
  return std::unique_ptr<ByteSource>(new LineRangeSource(std::move(name), std::move(f), std::move(head), begin, end));
}

}  // namespace tessera::data
