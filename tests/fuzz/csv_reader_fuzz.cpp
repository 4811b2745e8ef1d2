// libFuzzer target for the CSV path: SplitCsvRecord, the token parsers (ParseNumber,
// ParseBoolean, ParseDatetime, IsMissingToken, IsValidUtf8, ColumnTypeGuesser) and CsvReader
// over CsvChunker and ByteSource.
//
// Input: byte 0 picks the options, the rest is the file.
//   bits 0-2  delimiter: 0 detect, 1 ',', 2 '\t', 3 ';', 4 '|', 5 ' ', 6 detect with a .tsv name, 7
//   detect bit 3     no header line bits 4-5  0 plain, 1 gzip-compressed by the harness, 2
//   zstd-compressed, 3 the bytes named .gz bit 6     sample only 3 rows for type inference (so
//   later rows meet a narrower type)
//
// Oracles, besides ASan/UBSan: parsed numbers agree with strtod; every chunk is well formed;
// and the table read in 4 KiB chunks (CsvChunker's minimum, so records straddle chunk
// boundaries) equals the table read in one chunk, under the same schema, error for error.
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "tessera/core/utf8.h"
#include "tessera/data/byte_source.h"
#include "tessera/data/csv_reader.h"
#include "tessera/data/schema.h"

namespace {

using namespace tessera;
using namespace tessera::data;

// ParseNumber accepts a subset of what strtod accepts (after trimming blanks and a leading '+');
// whatever it accepts must have strtod's value, rounded to float (saturating to +-inf).
void CheckNumber(std::string_view s) {
  float v;
  if (!ParseNumber(s, &v)) return;
  std::string t(s);
  size_t b = t.find_first_not_of(" \t"), e = t.find_last_not_of(" \t");
  FUZZ_CHECK(b != std::string::npos, "ParseNumber accepted a blank token");
  t = t.substr(b, e - b + 1);
  if (t[0] == '+') t.erase(0, 1);
  char* end = nullptr;
  double ref = std::strtod(t.c_str(), &end);
  FUZZ_CHECK(end == t.c_str() + t.size(), "ParseNumber accepted '%s', strtod stops early",
             t.c_str());
  if (std::isnan(ref)) {
    FUZZ_CHECK(std::isnan(v), "ParseNumber('%s') = %g, strtod = nan", t.c_str(), v);
    return;
  }
  float expect =
      std::fabs(ref) > std::numeric_limits<float>::max()
          ? static_cast<float>(std::copysign(std::numeric_limits<double>::infinity(), ref))
          : static_cast<float>(ref);
  // Rounding through double may differ from direct rounding to float by one ulp.
  bool close = fuzz::SameFloat(v, expect) || std::nextafter(v, expect) == expect;
  FUZZ_CHECK(close, "ParseNumber('%s') = %.9g, strtod gives %.17g", t.c_str(),
             static_cast<double>(v), ref);
}

void CheckToken(std::string_view f) {
  CheckNumber(f);
  float b;
  if (ParseBoolean(f, &b)) FUZZ_CHECK(b == 0 || b == 1, "ParseBoolean gave %g", b);
  double seconds;
  if (ParseDatetime(f, &seconds)) {
    // Years 0000-9999, offsets up to +-23:59.
    FUZZ_CHECK(std::isfinite(seconds) && seconds > -62167219200.0 - 86400 &&
                   seconds < 253402300800.0 + 86400,
               "ParseDatetime gave %f", seconds);
  }
  (void)IsMissingToken(f);
  size_t bad = 0;
  if (!IsValidUtf8(f, &bad))
    FUZZ_CHECK(bad < f.size(), "IsValidUtf8: bad offset %zu past %zu", bad, f.size());
  ColumnTypeGuesser g;
  g.Observe(f);
  (void)g.Guess();
}

// SplitCsvRecord on each line of `text`, in a buffer of exactly the line's size so that ASan sees
// any read or write past its end.
void FuzzSplit(std::string_view text, char delimiter) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  int lines = 0;
  while (pos <= text.size() && lines++ < 256) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    std::unique_ptr<char[]> buf(
        new char[line.size() + 1]);  // never empty: new char[0] is still a valid begin
    std::memcpy(buf.get(), line.data(), line.size());
    char* begin = buf.get();
    char* end = begin + line.size();
    size_t bad = 0;
    const char* what = nullptr;
    if (SplitCsvRecord(begin, end, delimiter, &fields, &bad, &what)) {
      FUZZ_CHECK(!fields.empty(), "SplitCsvRecord: no fields");
      size_t total = 0;
      for (std::string_view f : fields) {
        FUZZ_CHECK(f.data() >= begin && f.data() + f.size() <= end,
                   "SplitCsvRecord: field outside the record");
        total += f.size();
        CheckToken(f);
      }
      FUZZ_CHECK(total + fields.size() - 1 <= line.size(),
                 "SplitCsvRecord: fields longer than the record");
      // Without quotes the fields are exactly the delimiter-separated pieces.
      if (line.find('"') == std::string_view::npos) {
        size_t delims = 0;
        for (char c : line) delims += c == delimiter;
        FUZZ_CHECK(fields.size() == delims + 1, "SplitCsvRecord: %zu fields for %zu delimiters",
                   fields.size(), delims);
      }
    } else {
      FUZZ_CHECK(bad <= line.size() && what != nullptr, "SplitCsvRecord: error offset %zu past %zu",
                 bad, line.size());
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  CheckToken(text.substr(0, 64));
}

// A table read to the end: every row as one string, and the error that stopped it, if any.
struct Table {
  bool opened = false;
  std::string error;
  Schema schema;
  std::vector<std::string> rows;
};

void AppendRow(const TableChunk& c, const Schema& schema, size_t r, std::string* out) {
  *out = std::to_string(c.row_lines[r]) + ":";
  for (size_t k = 0; k < schema.size(); ++k) {
    const Column& col = schema.column(k);
    const ChunkColumn& cc = c.columns[k];
    if (col.role == ColumnRole::kIgnored) {
      FUZZ_CHECK(cc.numbers.empty() && cc.texts.empty(), "ignored column %zu has values", k);
      *out += "|I";
    } else if (col.type == ColumnType::kCategorical) {
      std::string_view t = cc.texts[r];
      if (t.data() == nullptr) {
        *out += "|M";
      } else {
        FUZZ_CHECK(!IsMissingToken(t) && IsValidUtf8(t),
                   "categorical value is missing or not UTF-8");
        *out += "|T";
        out->append(t);
      }
    } else {
      float v = cc.numbers[r];
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      *out += "|" + (std::isnan(v) ? std::string("nan") : std::to_string(bits));
      if (col.type == ColumnType::kBoolean)
        FUZZ_CHECK(std::isnan(v) || v == 0 || v == 1, "boolean cell %g", v);
    }
  }
}

Table ReadAll(const fuzz::Packed& packed, const std::string& name, const ReadOptions& options,
              const Schema* schema) {
  Table t;
  auto source = ByteSource::FromMemory(name, packed.bytes, packed.compression);
  FUZZ_CHECK(source.ok(), "FromMemory failed: %s", source.status().message().c_str());
  auto reader = CsvReader::OpenSource(std::move(source).value(), options);
  if (!reader.ok()) {
    t.error = reader.status().message();
    FUZZ_CHECK(!t.error.empty(), "error without a message");
    return t;
  }
  t.opened = true;
  CsvReader& r = **reader;
  if (schema) {
    Status st = r.SetSchema(*schema);
    FUZZ_CHECK(st.ok(), "SetSchema: %s", st.message().c_str());
  }
  t.schema = r.schema();
  FUZZ_CHECK(t.schema.size() > 0, "a table without columns");
  TableChunk chunk;
  uint64_t last_line = 0;
  for (int guard = 0;; ++guard) {
    FUZZ_CHECK(guard < 100000, "the reader does not end");
    auto more = r.Next(&chunk);
    if (!more.ok()) {
      t.error = more.status().message();
      FUZZ_CHECK(!t.error.empty(), "error without a message");
      break;
    }
    if (!*more) break;
    FUZZ_CHECK(chunk.num_rows > 0, "an empty chunk");
    FUZZ_CHECK(chunk.row_lines.size() == chunk.num_rows, "row_lines size");
    FUZZ_CHECK(chunk.columns.size() == t.schema.size(), "column count");
    FUZZ_CHECK(chunk.source == name, "chunk source '%s'", chunk.source.c_str());
    for (size_t k = 0; k < t.schema.size(); ++k) {
      const Column& col = t.schema.column(k);
      if (col.role == ColumnRole::kIgnored) continue;
      size_t n = col.type == ColumnType::kCategorical ? chunk.columns[k].texts.size()
                                                      : chunk.columns[k].numbers.size();
      FUZZ_CHECK(n == chunk.num_rows, "column %zu has %zu values for %zu rows", k, n,
                 chunk.num_rows);
    }
    for (size_t i = 0; i < chunk.num_rows; ++i) {
      FUZZ_CHECK(chunk.row_lines[i] > last_line, "row lines not increasing");
      last_line = chunk.row_lines[i];
      t.rows.emplace_back();
      AppendRow(chunk, t.schema, i, &t.rows.back());
    }
    FUZZ_CHECK(r.bytes_done() <= r.bytes_total() || r.bytes_total() == 0,
               "bytes_done past bytes_total");
  }
  // A one-pass reader refuses to rewind, with a message.
  Status rewind = r.Rewind();
  FUZZ_CHECK(!rewind.ok() && !rewind.message().empty(), "a stream reader rewound");
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  static const char kDelimiters[8] = {0, ',', '\t', ';', '|', ' ', 0, 0};
  ReadOptions options;
  options.delimiter = kDelimiters[flags & 7];
  options.header = (flags & 8) == 0;
  options.threads = 1;
  if (flags & 64) options.sample_rows = 3;
  const unsigned packing = (flags >> 4) & 3;

  FuzzSplit(text, options.delimiter ? options.delimiter : ',');

  fuzz::Packed packed = fuzz::Pack(packing, text);
  std::string name = ((flags & 7) == 6 ? "fuzz.tsv" : "fuzz.csv") + packed.name_suffix;

  if (packing == 3) {
    // Arbitrary bytes through the gzip decoder: no reference to compare with.
    options.chunk_bytes = 4096;
    ReadAll(packed, name, options, nullptr);
    return 0;
  }
  // The whole text in one chunk, then in 4 KiB chunks under the first read's schema.
  // (Only just larger than the text: a 1 MiB buffer per input would dominate the run time.)
  ReadOptions big = options;
  big.chunk_bytes = text.size() + 4096;
  Table a = ReadAll(packed, name, big, nullptr);
  ReadOptions small = options;
  small.chunk_bytes = 4096;
  Table b = ReadAll(packed, name, small, a.opened ? &a.schema : nullptr);
  FUZZ_CHECK(a.opened == b.opened, "opened with one chunk: %d, with 4 KiB chunks: %d (%s | %s)",
             a.opened, b.opened, a.error.c_str(), b.error.c_str());
  fuzz::Note(a.error.empty() ? std::to_string(a.rows.size()) + " rows" : a.error);
  FUZZ_CHECK(a.error == b.error, "errors differ:\n  one chunk: %s\n  4 KiB chunks: %s",
             a.error.c_str(), b.error.c_str());
  if (a.error.empty()) {
    FUZZ_CHECK(a.rows.size() == b.rows.size(), "rows: %zu with one chunk, %zu with 4 KiB chunks",
               a.rows.size(), b.rows.size());
    for (size_t i = 0; i < a.rows.size(); ++i)
      FUZZ_CHECK(a.rows[i] == b.rows[i], "row %zu differs:\n  one chunk: %s\n  4 KiB chunks: %s", i,
                 a.rows[i].c_str(), b.rows[i].c_str());
  }
  return 0;
}
