#include "tessera/data/tsr_file.h"

#include <zlib.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "tessera/core/atomic_file.h"
#include "tessera/core/parallel.h"

namespace tessera::data {

namespace {

constexpr char kHeadMagic[8] = {'T', 'S', 'R', 'C', 'A', 'C', 'H', 'E'};
constexpr char kTailMagic[8] = {'T', 'S', 'R', 'E', 'N', 'D', '\0', '\0'};
constexpr size_t kHeadSize = 16, kTrailerSize = 32;
constexpr size_t kBlockBytes = 4 << 20;

uint32_t Crc32(const void* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  while (size > 0) {
    uInt n = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, p, n);
    p += n, size -= n;
  }
  return static_cast<uint32_t>(crc);
}

template <typename T>
void PutLE(std::string* out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out->push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF));
}
template <typename T>
T GetLE(const char* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return static_cast<T>(v);
}

struct Section {
  std::string name;
  const uint8_t* data;
  size_t size;
};

// Random access to the file's bytes, either from disk (pread) or from memory.
class Bytes {
 public:
  virtual ~Bytes() = default;
  virtual uint64_t size() const = 0;
  virtual bool Read(uint64_t offset, size_t n, char* out) const = 0;
};

class FileBytes final : public Bytes {
 public:
  FileBytes(std::FILE* f, uint64_t size) : f_(f), size_(size) {}
  ~FileBytes() override { std::fclose(f_); }
  uint64_t size() const override { return size_; }
  bool Read(uint64_t offset, size_t n, char* out) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = pread(fileno(f_), out + done, n - done, static_cast<off_t>(offset + done));
      if (r <= 0) return false;
      done += static_cast<size_t>(r);
    }
    return true;
  }

 private:
  std::FILE* f_;
  uint64_t size_;
};

class MemoryBytes final : public Bytes {
 public:
  explicit MemoryBytes(const std::string& s) : s_(s) {}
  uint64_t size() const override { return s_.size(); }
  bool Read(uint64_t offset, size_t n, char* out) const override {
    if (offset > s_.size() || n > s_.size() - offset) return false;
    std::memcpy(out, s_.data() + offset, n);
    return true;
  }

 private:
  const std::string& s_;
};

// A non-negative integer field of the footer. json's get<uint64_t>() would wrap a negative number
// and cast a float such as 1e300 (undefined behaviour); this throws a type_error instead.
uint64_t Unsigned(const nlohmann::json& v, const char* what) {
  if (!v.is_number_unsigned())
    throw nlohmann::json::type_error::create(302, std::string(what) + " must be a non-negative integer", &v);
  return v.get<uint64_t>();
}
uint64_t Unsigned(const nlohmann::json& j, const char* key, const char* what) { return Unsigned(j.at(key), what); }

// True when every cell in the block (bytes [at, at + size) of the row-major matrix) is below its
// feature's bin count.
bool CellsInRange(const uint8_t* block, uint64_t size, uint64_t at, size_t bpc, const std::vector<uint32_t>& limits) {
  const size_t nf = limits.size();
  size_t f = static_cast<size_t>((at / bpc) % nf);
  uint32_t over = 0;
  if (bpc == 1) {
    for (uint64_t i = 0; i < size; ++i) {
      over |= static_cast<uint32_t>(block[i] >= limits[f]);
      f = f + 1 == nf ? 0 : f + 1;
    }
  } else {
    const auto* cells = reinterpret_cast<const uint16_t*>(block);
    for (uint64_t i = 0; i < size / 2; ++i) {
      over |= static_cast<uint32_t>(cells[i] >= limits[f]);
      f = f + 1 == nf ? 0 : f + 1;
    }
  }
  return over == 0;
}

Result<BinnedDataset> Load(const std::string& name, const Bytes& file, int threads) {
  auto bad = [&](uint64_t offset, const std::string& what) { return Status::AtOffset(name, offset, what); };
  const uint64_t size = file.size();
  char head[kHeadSize];
  if (size < kHeadSize || !file.Read(0, kHeadSize, head) || std::memcmp(head, kHeadMagic, 8) != 0)
    return bad(0, "not a Tessera .tsr cache (bad magic; expected \"TSRCACHE\")");
  uint32_t version = GetLE<uint32_t>(head + 8);
  if (version > kTsrFormatVersion)
    return bad(8, "written by a newer Tessera (.tsr format " + std::to_string(version) + "; this build reads up to " +
                      std::to_string(kTsrFormatVersion) + ")");
  if (version == 0) return bad(8, "invalid .tsr format version 0");
  char trailer[kTrailerSize];
  if (size < kHeadSize + kTrailerSize || !file.Read(size - kTrailerSize, kTrailerSize, trailer) ||
      std::memcmp(trailer + 24, kTailMagic, 8) != 0)
    return bad(size, "truncated .tsr cache: the end-of-file trailer is missing");
  uint64_t footer_offset = GetLE<uint64_t>(trailer), footer_len = GetLE<uint64_t>(trailer + 8);
  uint32_t footer_crc = GetLE<uint32_t>(trailer + 16);
  if (footer_offset < kHeadSize || footer_len > size - kHeadSize - kTrailerSize ||
      footer_offset > size - kTrailerSize - footer_len)
    return bad(size - kTrailerSize, "corrupt .tsr trailer: footer position out of range");
  std::string footer(footer_len, '\0');
  if (!file.Read(footer_offset, footer_len, footer.data())) return bad(footer_offset, "cannot read the footer");
  if (Crc32(footer.data(), footer.size()) != footer_crc) return bad(footer_offset, "footer checksum mismatch (corrupt file)");

  nlohmann::json j = nlohmann::json::parse(footer, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad(footer_offset, "footer is not valid JSON");
  try {
    TESSERA_ASSIGN_OR_RETURN(Schema schema, Schema::FromJson(j.at("schema")));
    std::vector<size_t> feature_columns;
    for (const auto& c : j.at("feature_columns")) feature_columns.push_back(Unsigned(c, "feature_columns[i]"));
    std::vector<BinMapper> mappers;
    for (const auto& m : j.at("mappers")) {
      TESSERA_ASSIGN_OR_RETURN(BinMapper mapper, BinMapper::FromJson(m));
      mappers.push_back(std::move(mapper));
    }
    if (feature_columns.size() != mappers.size()) return bad(footer_offset, "footer: one bin mapper per feature expected");
    for (size_t c : feature_columns)
      if (c >= schema.size()) return bad(footer_offset, "footer: feature column out of range");
    const uint64_t rows = Unsigned(j, "rows", "rows");
    int bytes_per_cell = 1;
    for (const auto& m : mappers)
      if (m.num_bins() > 256) bytes_per_cell = 2;
    if (Unsigned(j, "bytes_per_cell", "bytes_per_cell") != static_cast<uint64_t>(bytes_per_cell))
      return bad(footer_offset, "footer: bytes_per_cell does not match the bin mappers");
    if (rows > (uint64_t{1} << 40) || (!mappers.empty() && rows > (uint64_t{1} << 40) / mappers.size()))
      return bad(footer_offset, "footer: implausible row count");

    // Check every block against the sizes the footer implies before allocating anything: blocks
    // are at most kBlockBytes each, so the footer's length bounds what a bad file can make us allocate.
    enum SectionId { kCells, kLabels, kWeights, kGroups };
    const std::pair<const char*, uint64_t> kSections[] = {
        {"cells", rows * mappers.size() * static_cast<uint64_t>(bytes_per_cell)},
        {"labels", rows * 4}, {"weights", rows * 4}, {"groups", rows * 8}};
    struct Block {
      int section;
      uint64_t at, offset, comp, raw;
    };
    std::vector<Block> blocks;
    bool present[4] = {false, false, false, false};
    for (const auto& s : j.at("sections")) {
      std::string sname = s.at("name");
      int id = -1;
      for (int k = 0; k < 4; ++k)
        if (sname == kSections[k].first) id = k;
      if (id < 0) return bad(footer_offset, "footer: unknown section '" + sname + "'");
      if (present[id]) return bad(footer_offset, "footer: section '" + sname + "' appears twice");
      present[id] = true;
      const uint64_t expected = kSections[id].second;
      if (Unsigned(s, "raw_bytes", "raw_bytes") != expected)
        return bad(footer_offset, "footer: section '" + sname + "' has the wrong size");
      uint64_t at = 0;
      for (const auto& b : s.at("blocks")) {
        Block blk{id, at, Unsigned(b, "offset", "block offset"), Unsigned(b, "comp", "block comp"),
                  Unsigned(b, "raw", "block raw")};
        if (blk.raw == 0 || blk.raw > kBlockBytes || blk.raw > expected - at || blk.offset < kHeadSize ||
            blk.comp > footer_offset || blk.offset > footer_offset - blk.comp)
          return bad(footer_offset, "footer: block of section '" + sname + "' out of range");
        at += blk.raw;
        blocks.push_back(blk);
      }
      if (at != expected) return bad(footer_offset, "footer: blocks of section '" + sname + "' do not cover it");
    }
    if (!present[kCells]) return bad(footer_offset, "footer: the cells section is missing");
    // Without features the cells are empty: some other section must hold the rows.
    if (rows > 0 && mappers.empty() && !present[kLabels] && !present[kWeights] && !present[kGroups])
      return bad(footer_offset, "footer: rows but no data (no features, labels, weights or groups)");

    BinnedDataset ds(std::move(schema), std::move(feature_columns), std::move(mappers), rows);
    ds.set_label_classes(j.value("label_classes", std::vector<std::string>{}));
    uint8_t* dest[4] = {ds.mutable_cells(), nullptr, nullptr, nullptr};
    if (present[kLabels]) ds.mutable_labels().resize(rows), dest[kLabels] = reinterpret_cast<uint8_t*>(ds.mutable_labels().data());
    if (present[kWeights]) ds.mutable_weights().resize(rows), dest[kWeights] = reinterpret_cast<uint8_t*>(ds.mutable_weights().data());
    if (present[kGroups]) ds.mutable_groups().resize(rows), dest[kGroups] = reinterpret_cast<uint8_t*>(ds.mutable_groups().data());

    const size_t nf = ds.num_features();
    const size_t bpc = static_cast<size_t>(ds.bytes_per_cell());
    std::vector<uint32_t> limits(nf);
    for (size_t f = 0; f < nf; ++f) limits[f] = ds.mappers()[f].num_bins();
    std::vector<Status> errors(blocks.size());
    ParallelFor(blocks.size(), ResolveThreads(threads), [&](size_t b, size_t e, size_t) {
      std::string comp;
      for (size_t i = b; i < e; ++i) {
        const Block& blk = blocks[i];
        uint8_t* out = dest[blk.section] + blk.at;
        comp.resize(blk.comp);
        if (!file.Read(blk.offset, blk.comp, comp.data())) {
          errors[i] = bad(blk.offset, "cannot read block");
          continue;
        }
        // A zstd frame (magic FD 2F B5 28, little-endian) whose descriptor has the checksum bit.
        const bool framed = comp.size() >= 5 && static_cast<uint8_t>(comp[0]) == 0x28 && static_cast<uint8_t>(comp[1]) == 0xB5 &&
                            static_cast<uint8_t>(comp[2]) == 0x2F && static_cast<uint8_t>(comp[3]) == 0xFD;
        if (!framed || !(static_cast<uint8_t>(comp[4]) & 0x04)) {
          errors[i] = bad(blk.offset, "corrupt compressed block (expected a zstd frame with a checksum)");
          continue;
        }
        size_t n = ZSTD_decompress(out, blk.raw, comp.data(), comp.size());
        if (ZSTD_isError(n) || n != blk.raw) {
          errors[i] = bad(blk.offset, ZSTD_isError(n) && ZSTD_getErrorCode(n) == ZSTD_error_checksum_wrong
                                          ? "block checksum mismatch (corrupt file)"
                                          : "corrupt compressed block");
          continue;
        }
        // Every cell must name a bin its feature has; checked while the block is in cache.
        if (blk.section == kCells && nf > 0 && !CellsInRange(out, blk.raw, blk.at, bpc, limits))
          errors[i] = bad(blk.offset, "a cell holds a bin its feature does not have (corrupt file)");
      }
    });
    for (auto& e : errors) TESSERA_RETURN_IF_ERROR(e);
    return ds;
  } catch (const nlohmann::json::exception& e) {
    return bad(footer_offset, std::string("footer: missing or mistyped field (") + e.what() + ")");
  }
}

}  // namespace

Status SaveTsr(const BinnedDataset& ds, const std::string& path, int threads) {
  AtomicFileWriter out;
  TESSERA_RETURN_IF_ERROR(out.Open(path));
  std::string head(kHeadMagic, 8);
  PutLE<uint32_t>(&head, kTsrFormatVersion);
  PutLE<uint32_t>(&head, 0);
  TESSERA_RETURN_IF_ERROR(out.Write(head));

  std::vector<Section> sections = {{"cells", ds.cells(), ds.cells_bytes()}};
  if (ds.has_labels()) sections.push_back({"labels", reinterpret_cast<const uint8_t*>(ds.labels().data()), ds.labels().size() * 4});
  if (!ds.weights().empty())
    sections.push_back({"weights", reinterpret_cast<const uint8_t*>(ds.weights().data()), ds.weights().size() * 4});
  if (!ds.groups().empty())
    sections.push_back({"groups", reinterpret_cast<const uint8_t*>(ds.groups().data()), ds.groups().size() * 8});

  const int nthreads = ResolveThreads(threads);
  nlohmann::json jsections = nlohmann::json::array();
  uint64_t offset = kHeadSize;
  for (const Section& s : sections) {
    nlohmann::json jblocks = nlohmann::json::array();
    const size_t nblocks = (s.size + kBlockBytes - 1) / kBlockBytes;
    // Compress a batch of blocks on all threads, then write them in order.
    for (size_t first = 0; first < nblocks; first += static_cast<size_t>(nthreads)) {
      size_t count = std::min<size_t>(static_cast<size_t>(nthreads), nblocks - first);
      std::vector<std::string> comp(count);
      std::vector<size_t> raws(count);
      ParallelFor(count, nthreads, [&](size_t b, size_t e, size_t) {
        // Each frame carries zstd's content checksum (XXH64), checked as it is decompressed.
        ZSTD_CCtx* cctx = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
        for (size_t i = b; i < e; ++i) {
          size_t start = (first + i) * kBlockBytes;
          raws[i] = std::min(kBlockBytes, s.size - start);
          comp[i].resize(ZSTD_compressBound(raws[i]));
          size_t n = ZSTD_compress2(cctx, comp[i].data(), comp[i].size(), s.data + start, raws[i]);
          comp[i].resize(ZSTD_isError(n) ? 0 : n);
        }
        ZSTD_freeCCtx(cctx);
      });
      for (size_t i = 0; i < count; ++i) {
        if (comp[i].empty() && raws[i] > 0) return Status::Internal("zstd compression failed");
        TESSERA_RETURN_IF_ERROR(out.Write(comp[i]));
        jblocks.push_back({{"offset", offset}, {"comp", comp[i].size()}, {"raw", raws[i]}});
        offset += comp[i].size();
      }
    }
    jsections.push_back({{"name", s.name}, {"raw_bytes", s.size}, {"blocks", jblocks}});
  }

  nlohmann::json footer;
  footer["schema"] = ds.schema().ToJson();
  footer["feature_columns"] = ds.feature_columns();
  nlohmann::json mappers = nlohmann::json::array();
  for (const auto& m : ds.mappers()) mappers.push_back(m.ToJson());
  footer["mappers"] = mappers;
  footer["rows"] = ds.num_rows();
  footer["bytes_per_cell"] = ds.bytes_per_cell();
  footer["label_classes"] = ds.label_classes();
  footer["sections"] = jsections;
  std::string text = footer.dump();
  TESSERA_RETURN_IF_ERROR(out.Write(text));
  std::string trailer;
  PutLE<uint64_t>(&trailer, offset);
  PutLE<uint64_t>(&trailer, text.size());
  PutLE<uint32_t>(&trailer, Crc32(text.data(), text.size()));
  PutLE<uint32_t>(&trailer, kTsrFormatVersion);
  trailer.append(kTailMagic, 8);
  TESSERA_RETURN_IF_ERROR(out.Write(trailer));
  return out.Commit();
}

Result<BinnedDataset> LoadTsr(const std::string& path, int threads) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::UserError(path + ": cannot open: " + std::strerror(errno));
  std::fseek(f, 0, SEEK_END);
  long end = std::ftell(f);
  FileBytes bytes(f, end > 0 ? static_cast<uint64_t>(end) : 0);
  return Load(path, bytes, threads);
}

Result<BinnedDataset> LoadTsrFromMemory(const std::string& name, const std::string& bytes, int threads) {
  return Load(name, MemoryBytes(bytes), threads);
}

}  // namespace tessera::data
