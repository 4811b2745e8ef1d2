#include "tessera/data/byte_source.h"

#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace tessera::data {

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Raw bytes, from a file or from memory.
class RawInput {
 public:
  virtual ~RawInput() = default;
  virtual Result<size_t> Read(char* out, size_t capacity) = 0;
  virtual uint64_t size() const = 0;
};

class FileInput final : public RawInput {
 public:
  FileInput(std::FILE* f, uint64_t size, std::string name) : f_(f), size_(size), name_(std::move(name)) {}
  ~FileInput() override { std::fclose(f_); }
  Result<size_t> Read(char* out, size_t capacity) override {
    size_t n = std::fread(out, 1, capacity, f_);
    if (n < capacity && std::ferror(f_))
      return Status::UserError(name_ + ": read failed: " + std::strerror(errno));
    return n;
  }
  uint64_t size() const override { return size_; }

 private:
  std::FILE* f_;
  uint64_t size_;
  std::string name_;
};

class MemoryInput final : public RawInput {
 public:
  explicit MemoryInput(std::string bytes) : bytes_(std::move(bytes)) {}
  Result<size_t> Read(char* out, size_t capacity) override {
    size_t n = std::min(capacity, bytes_.size() - pos_);
    std::memcpy(out, bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t size() const override { return bytes_.size(); }

 private:
  std::string bytes_;
  size_t pos_ = 0;
};

class PlainSource final : public ByteSource {
 public:
  PlainSource(std::string name, std::unique_ptr<RawInput> in) : in_(std::move(in)) { name_ = std::move(name); }
  Result<size_t> Read(char* out, size_t capacity) override {
    auto n = in_->Read(out, capacity);
    if (n.ok()) offset_ += n.value();
    return n;
  }
  uint64_t raw_offset() const override { return offset_; }
  uint64_t raw_size() const override { return in_->size(); }

 private:
  std::unique_ptr<RawInput> in_;
  uint64_t offset_ = 0;
};

constexpr size_t kInputBlock = 1 << 20;

// gzip (and concatenated gzip members, as `cat a.gz b.gz` makes) through zlib.
class GzipSource final : public ByteSource {
 public:
  GzipSource(std::string name, std::unique_ptr<RawInput> in) : in_(std::move(in)), buf_(kInputBlock) {
    name_ = std::move(name);
    std::memset(&zs_, 0, sizeof zs_);
  }
  ~GzipSource() override {
    if (initialized_) inflateEnd(&zs_);
  }
  Status Init() {
    if (inflateInit2(&zs_, 15 + 16) != Z_OK) return Status::Internal("zlib: inflateInit2 failed");
    initialized_ = true;
    return Status::Ok();
  }
  Result<size_t> Read(char* out, size_t capacity) override {
    if (done_ || capacity == 0) return size_t{0};
    zs_.next_out = reinterpret_cast<Bytef*>(out);
    zs_.avail_out = static_cast<uInt>(std::min<size_t>(capacity, 1u << 30));
    while (zs_.avail_out > 0) {
      if (zs_.avail_in == 0) {
        TESSERA_ASSIGN_OR_RETURN(size_t n, in_->Read(buf_.data(), buf_.size()));
        if (n == 0) {
          if (in_member_)
            return Status::AtOffset(name_, consumed_, "truncated gzip stream: the file ends inside compressed data");
          done_ = true;
          break;
        }
        zs_.next_in = reinterpret_cast<Bytef*>(buf_.data());
        zs_.avail_in = static_cast<uInt>(n);
      }
      uInt before = zs_.avail_in;
      if (!in_member_) {
        // A new member starts; anything but a gzip header here is trailing garbage.
        if (zs_.avail_in >= 1 && zs_.next_in[0] != 0x1f)
          return Status::AtOffset(name_, consumed_, "not gzip data (expected the gzip magic bytes 1f 8b)");
        in_member_ = true;
      }
      int rc = inflate(&zs_, Z_NO_FLUSH);
      consumed_ += before - zs_.avail_in;
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        inflateReset(&zs_);
      } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
        return Status::AtOffset(name_, consumed_, std::string("corrupt gzip data: ") + (zs_.msg ? zs_.msg : "invalid stream"));
      } else if (rc == Z_MEM_ERROR) {
        return Status::Internal("zlib: out of memory");
      } else if (rc == Z_BUF_ERROR && zs_.avail_in > 0) {
        return Status::Internal("zlib: no progress while decompressing");
      }
    }
    return static_cast<size_t>(reinterpret_cast<char*>(zs_.next_out) - out);
  }
  uint64_t raw_offset() const override { return consumed_; }
  uint64_t raw_size() const override { return in_->size(); }

 private:
  std::unique_ptr<RawInput> in_;
  std::vector<char> buf_;
  z_stream zs_;
  bool initialized_ = false, in_member_ = false, done_ = false;
  uint64_t consumed_ = 0;
};

class ZstdSource final : public ByteSource {
 public:
  ZstdSource(std::string name, std::unique_ptr<RawInput> in)
      : in_(std::move(in)), buf_(ZSTD_DStreamInSize()), ds_(ZSTD_createDStream()) {
    name_ = std::move(name);
  }
  ~ZstdSource() override { ZSTD_freeDStream(ds_); }
  Result<size_t> Read(char* out, size_t capacity) override {
    if (done_ || capacity == 0) return size_t{0};
    ZSTD_outBuffer ob{out, capacity, 0};
    while (ob.pos < ob.size) {
      if (zin_.pos == zin_.size) {
        TESSERA_ASSIGN_OR_RETURN(size_t n, in_->Read(buf_.data(), buf_.size()));
        if (n == 0) {
          if (last_hint_ != 0)
            return Status::AtOffset(name_, consumed_, "truncated zstd stream: the file ends inside a compressed frame");
          done_ = true;
          break;
        }
        zin_ = ZSTD_inBuffer{buf_.data(), n, 0};
      }
      size_t before = zin_.pos;
      size_t rc = ZSTD_decompressStream(ds_, &ob, &zin_);
      consumed_ += zin_.pos - before;
      if (ZSTD_isError(rc))
        return Status::AtOffset(name_, consumed_, std::string("corrupt zstd data: ") + ZSTD_getErrorName(rc));
      last_hint_ = rc;
    }
    return ob.pos;
  }
  uint64_t raw_offset() const override { return consumed_; }
  uint64_t raw_size() const override { return in_->size(); }

 private:
  std::unique_ptr<RawInput> in_;
  std::vector<char> buf_;
  ZSTD_inBuffer zin_{nullptr, 0, 0};
  ZSTD_DStream* ds_;
  size_t last_hint_ = 0;
  bool done_ = false;
  uint64_t consumed_ = 0;
};

Result<std::unique_ptr<ByteSource>> Wrap(std::string name, std::unique_ptr<RawInput> raw,
                                         Compression compression) {
  switch (compression) {
    case Compression::kNone:
      return std::unique_ptr<ByteSource>(new PlainSource(std::move(name), std::move(raw)));
    case Compression::kGzip: {
      auto src = std::make_unique<GzipSource>(std::move(name), std::move(raw));
      TESSERA_RETURN_IF_ERROR(src->Init());
      return std::unique_ptr<ByteSource>(std::move(src));
    }
    case Compression::kZstd:
      return std::unique_ptr<ByteSource>(new ZstdSource(std::move(name), std::move(raw)));
  }
  return Status::Internal("unknown compression");
}

}  // namespace

Compression CompressionFromPath(const std::string& path) {
  if (EndsWith(path, ".gz") || EndsWith(path, ".gzip")) return Compression::kGzip;
  if (EndsWith(path, ".zst") || EndsWith(path, ".zstd")) return Compression::kZstd;
  return Compression::kNone;
}

std::string StripCompressionExtension(const std::string& path) {
  for (const char* ext : {".gz", ".gzip", ".zst", ".zstd"})
    if (EndsWith(path, ext)) return path.substr(0, path.size() - std::strlen(ext));
  return path;
}

Result<std::unique_ptr<ByteSource>> ByteSource::Open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::UserError(path + ": cannot open: " + std::strerror(errno));
  uint64_t size = 0;
  if (std::fseek(f, 0, SEEK_END) == 0) {
    long end = std::ftell(f);
    if (end > 0) size = static_cast<uint64_t>(end);
    std::fseek(f, 0, SEEK_SET);
  }
  return Wrap(path, std::make_unique<FileInput>(f, size, path), CompressionFromPath(path));
}

Result<std::unique_ptr<ByteSource>> ByteSource::FromMemory(std::string name, std::string bytes,
                                                           Compression compression) {
  return Wrap(std::move(name), std::make_unique<MemoryInput>(std::move(bytes)), compression);
}

}  // namespace tessera::data
