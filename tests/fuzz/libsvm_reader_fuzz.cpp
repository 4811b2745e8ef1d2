// libFuzzer target for the LibSVM path: ParseLibSvmLine and LibSvmReader over CsvChunker and
// ByteSource.
//
// Input: byte 0 picks the options, the rest is the file.
//   bits 4-5  0 plain, 1 gzip-compressed by the harness, 2 zstd-compressed, 3 the bytes named .gz
//
// Oracles, besides ASan/UBSan: every parsed line is well formed; and the reader, in one chunk and
// in 4 KiB chunks (CsvChunker's minimum, so lines straddle chunk boundaries), returns exactly the
// rows that ParseLibSvmLine gives for the file's lines taken one by one (blank lines skipped),
// or fails at the first bad line with its line number.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "tessera/data/byte_source.h"
#include "tessera/data/libsvm_reader.h"

namespace {

using namespace tessera;
using namespace tessera::data;

// Readers build dense chunks (rows x highest index); keep inputs whose table would exceed this
// many cells away from the readers so the fuzzer is not stopped by its memory limit.
constexpr uint64_t kMaxCells = uint64_t{1} << 22;

struct Row {
  uint64_t line = 0;
  uint32_t label_bits = 0;
  int64_t qid = 0;
  std::vector<std::pair<uint32_t, uint32_t>> entries;  // index, value bits; zeros left out
  bool operator==(const Row&) const = default;
};

uint32_t Bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}

struct Table {
  std::vector<Row> rows;
  std::string error;        // empty: read to the end
  uint64_t error_line = 0;  // reference only
  size_t columns = 1;       // label + highest index + 1
};

// The file cut at '\n' and each non-blank line parsed on its own.
Table Reference(std::string_view text) {
  Table t;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  uint64_t line_no = 0;
  size_t pos = 0;
  LibSvmLine parsed;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (line.empty() || line == "\r") continue;
    size_t bad = 0;
    std::string what;
    if (!ParseLibSvmLine(line, &parsed, &bad, &what)) {
      FUZZ_CHECK(bad <= line.size() && !what.empty(), "ParseLibSvmLine: error offset %zu past %zu",
                 bad, line.size());
      t.error = what;
      t.error_line = line_no;
      return t;
    }
    Row row;
    row.line = line_no;
    row.label_bits = Bits(parsed.label);
    row.qid = parsed.has_qid ? parsed.qid : 0;
    int64_t last = -1;
    for (auto [index, value] : parsed.entries) {
      FUZZ_CHECK(static_cast<int64_t>(index) > last, "ParseLibSvmLine: indices not increasing");
      FUZZ_CHECK(index <= 10'000'000, "ParseLibSvmLine: index %u too large", index);
      last = index;
      if (Bits(value) != 0) row.entries.emplace_back(index, Bits(value));
      t.columns = std::max<size_t>(t.columns, size_t{index} + 2);
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table ReadAll(const fuzz::Packed& packed, const std::string& name, size_t chunk_bytes) {
  Table t;
  ReadOptions options;
  options.chunk_bytes = chunk_bytes;
  options.max_features = 10000000;  // the line parser's own limit, so reader and oracle agree
  options.threads = 1;
  auto source = ByteSource::FromMemory(name, packed.bytes, packed.compression);
  FUZZ_CHECK(source.ok(), "FromMemory failed: %s", source.status().message().c_str());
  auto reader = LibSvmReader::OpenSource(std::move(source).value(), options);
  if (!reader.ok()) {
    t.error = reader.status().message();
    return t;
  }
  LibSvmReader& r = **reader;
  TableChunk chunk;
  uint64_t cells = 0;
  for (int guard = 0;; ++guard) {
    FUZZ_CHECK(guard < 100000, "the reader does not end");
    auto more = r.Next(&chunk);
    if (!more.ok()) {
      t.error = more.status().message();
      FUZZ_CHECK(!t.error.empty(), "error without a message");
      break;
    }
    if (!*more) break;
    const size_t ncols = r.schema().size();
    FUZZ_CHECK(chunk.num_rows > 0 && chunk.row_lines.size() == chunk.num_rows, "chunk rows");
    FUZZ_CHECK(chunk.columns.size() == ncols, "chunk has %zu columns, schema %zu",
               chunk.columns.size(), ncols);
    FUZZ_CHECK(chunk.groups.empty() || chunk.groups.size() == chunk.num_rows, "groups size");
    for (const auto& c : chunk.columns)
      FUZZ_CHECK(c.numbers.size() == chunk.num_rows, "column size");
    cells += chunk.num_rows * ncols;
    FUZZ_CHECK(cells <= 4 * kMaxCells, "far more cells than the reference table has");
    for (size_t i = 0; i < chunk.num_rows; ++i) {
      Row row;
      row.line = chunk.row_lines[i];
      row.label_bits = Bits(chunk.columns[0].numbers[i]);
      row.qid = chunk.groups.empty() ? 0 : chunk.groups[i];
      for (size_t c = 1; c < ncols; ++c) {
        uint32_t b = Bits(chunk.columns[c].numbers[i]);
        if (b != 0) row.entries.emplace_back(static_cast<uint32_t>(c - 1), b);
      }
      t.rows.push_back(std::move(row));
    }
  }
  t.columns = r.schema().size();
  return t;
}

void Compare(const Table& ref, const Table& got, const std::string& name, const char* how) {
  if (!ref.error.empty()) {
    // The reader stops at the same line; rows before it may have been handed out.
    std::string where = name + ":" + std::to_string(ref.error_line) + ":";
    FUZZ_CHECK(got.error.compare(0, where.size(), where) == 0,
               "%s: expected an error at %s (%s), got '%s'", how, where.c_str(), ref.error.c_str(),
               got.error.c_str());
    FUZZ_CHECK(got.rows.size() <= ref.rows.size(), "%s: more rows than lines before the error",
               how);
    return;
  }
  FUZZ_CHECK(got.error.empty(), "%s: the reader failed ('%s') where every line parses", how,
             got.error.c_str());
  FUZZ_CHECK(got.rows.size() == ref.rows.size(), "%s: %zu rows, expected %zu", how, got.rows.size(),
             ref.rows.size());
  for (size_t i = 0; i < ref.rows.size(); ++i)
    FUZZ_CHECK(got.rows[i] == ref.rows[i],
               "%s: row %zu (line %llu) differs from line %llu parsed alone", how, i,
               static_cast<unsigned long long>(got.rows[i].line),
               static_cast<unsigned long long>(ref.rows[i].line));
  FUZZ_CHECK(got.columns == ref.columns, "%s: %zu columns, expected %zu", how, got.columns,
             ref.columns);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const unsigned packing = (flags >> 4) & 3;

  Table ref = Reference(text);
  if (static_cast<uint64_t>(ref.rows.size() + 1) * ref.columns > kMaxCells) return 0;

  fuzz::Packed packed = fuzz::Pack(packing, text);
  const std::string name = "fuzz.svm" + packed.name_suffix;
  if (packing == 3) {
    // Arbitrary bytes through the gzip decoder: no reference to compare with.
    ReadAll(packed, name, 4096);
    return 0;
  }
  Table one = ReadAll(packed, name, text.size() + 4096);  // the whole text in one chunk
  fuzz::Note(one.error.empty() ? std::to_string(one.rows.size()) + " rows" : one.error);
  Compare(ref, one, name, "one chunk");
  Compare(ref, ReadAll(packed, name, 4096), name, "4 KiB chunks");
  return 0;
}
