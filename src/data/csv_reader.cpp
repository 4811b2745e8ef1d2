#include "tessera/data/csv_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "tessera/core/parallel.h"
#include "tessera/core/utf8.h"
#include "tessera/data/datetime_parts.h"

namespace tessera::data {

namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

std::string Quoted(std::string_view s) {
  std::string out = "'";
  out.append(s.substr(0, 40));
  if (s.size() > 40) out += "...";
  return out + "'";
}

// The record's bytes without the trailing "\n" or "\r\n".
void RecordBounds(const CsvRawChunk& raw, size_t rec, char** begin, char** end) {
  char* base = raw.bytes->data();
  *begin = base + raw.starts[rec];
  *end = base + raw.ends[rec];
  if (*end > *begin && (*end)[-1] == '\r') --*end;
}

// Line and column (1-based) of byte `at` inside record `rec`, which may span lines.
void LocateInRecord(const CsvRawChunk& raw, size_t rec, const char* at, uint64_t* line, uint64_t* column) {
  const char* begin = raw.bytes->data() + raw.starts[rec];
  *line = raw.lines[rec];
  const char* line_start = begin;
  for (const char* p = begin; p < at; ++p)
    if (*p == '\n') ++*line, line_start = p + 1;
  *column = static_cast<uint64_t>(at - line_start) + 1;
}

}  // namespace

bool NextCsvField(char* p, char* end, char delimiter, std::string_view* field, char** next, bool* last,
                  const char** error_at, const char** error_what) {
  if (p < end && *p == '"') {
    // Quoted field: "" stands for one quote; unescape in place (the result is never longer).
    char* out = p;
    char* q = p + 1;
    for (;;) {
      char* close = static_cast<char*>(std::memchr(q, '"', static_cast<size_t>(end - q)));
      if (!close) {
        *error_at = p;
        *error_what = "a closing '\"' for the quoted field";
        return false;
      }
      size_t n = static_cast<size_t>(close - q);
      std::memmove(out, q, n);
      out += n;
      if (close + 1 < end && close[1] == '"') {
        *out++ = '"';
        q = close + 2;
        continue;
      }
      *field = std::string_view(p, static_cast<size_t>(out - p));
      q = close + 1;
      if (q == end) {
        *last = true;
        return true;
      }
      if (*q != delimiter) {
        *error_at = q;
        *error_what = "a delimiter or the end of the line after the closing '\"'";
        return false;
      }
      *last = false;
      *next = q + 1;
      return true;
    }
  }
  char* d = p;
  while (d < end && *d != delimiter) ++d;  // fields are short: a plain loop beats memchr here
  *field = std::string_view(p, static_cast<size_t>(d - p));
  *last = d == end;
  *next = d + 1;
  return true;
}

bool SplitCsvRecord(char* begin, char* end, char delimiter, std::vector<std::string_view>* fields,
                    size_t* error_offset, const char** error_what) {
  fields->clear();
  char* p = begin;
  for (;;) {
    std::string_view field;
    char* next;
    bool last;
    const char* at;
    if (!NextCsvField(p, end, delimiter, &field, &next, &last, &at, error_what)) {
      *error_offset = static_cast<size_t>(at - begin);
      return false;
    }
    fields->push_back(field);
    if (last) return true;
    p = next;
  }
}

char DetectDelimiter(std::string_view line) {
  const char candidates[] = {',', '\t', ';', '|'};
  size_t counts[4] = {0, 0, 0, 0};
  bool in_quotes = false;
  for (char c : line) {
    if (c == '"') in_quotes = !in_quotes;
    if (in_quotes) continue;
    for (int k = 0; k < 4; ++k)
      if (c == candidates[k]) ++counts[k];
  }
  int best = 0;
  for (int k = 1; k < 4; ++k)
    if (counts[k] > counts[best]) best = k;
  return candidates[best];
}

CsvReader::CsvReader(InputFiles inputs, const ReadOptions& options)
    : inputs_(std::move(inputs)), options_(options) {
}

Result<std::unique_ptr<CsvReader>> CsvReader::Open(std::vector<std::string> files, const ReadOptions& options) {
  if (files.empty()) return Status::UserError("no input files");
  std::unique_ptr<CsvReader> reader(new CsvReader(InputFiles(std::move(files), options.byte_range, options.header), options));
  TESSERA_RETURN_IF_ERROR(reader->OpenFile(0));
  TESSERA_RETURN_IF_ERROR(reader->InferSchema());
  return reader;
}

Result<std::unique_ptr<CsvReader>> CsvReader::OpenSource(std::unique_ptr<ByteSource> source,
                                                         const ReadOptions& options) {
  if (!source) return Status::Internal("CsvReader::OpenSource: no source");
  std::unique_ptr<CsvReader> reader(new CsvReader(InputFiles(std::move(source)), options));
  TESSERA_RETURN_IF_ERROR(reader->OpenFile(0));
  TESSERA_RETURN_IF_ERROR(reader->InferSchema());
  return reader;
}

Status CsvReader::OpenFile(size_t index) {
  file_index_ = index;
  const std::string& path = inputs_.name(index);
  bytes_before_file_ = inputs_.bytes_before(index);
  DropReadAhead();
  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, inputs_.Open(index));
  chunker_ = std::make_unique<CsvChunker>(std::move(source), options_.chunk_bytes);
  CsvRawChunk raw;
  TESSERA_ASSIGN_OR_RETURN(bool any, chunker_->Next(&raw));
  done_offset_ = chunker_->source().raw_offset();
  held_.reset();
  held_skip_ = 0;
  if (!any) {
    if (index == 0) return Status::AtLocation(path, 0, 0, "the file is empty; expected a header line and rows");
    return Status::Ok();  // an empty part file adds no rows
  }
  if (!options_.header && index > 0) {
    held_ = std::move(raw);
    return Status::Ok();
  }
  // The first record is the header (or, without one, tells how many columns there are).
  char *begin, *end;
  RecordBounds(raw, 0, &begin, &end);
  std::string line(begin, end);
  if (index == 0) {
    std::string base = StripCompressionExtension(path);
    bool tsv = base.size() > 4 && base.compare(base.size() - 4, 4, ".tsv") == 0;
    delimiter_ = options_.delimiter ? options_.delimiter : (tsv ? '\t' : DetectDelimiter(line));
  }
  std::vector<std::string_view> fields;
  size_t bad;
  const char* what;
  if (!SplitCsvRecord(line.data(), line.data() + line.size(), delimiter_, &fields, &bad, &what))
    return Status::AtLocation(path, raw.lines[0], bad + 1, std::string("malformed header: expected ") + what);
  std::vector<std::string> names;
  for (size_t i = 0; i < fields.size(); ++i) {
    size_t bad_byte;
    if (!IsValidUtf8(fields[i], &bad_byte))
      return Status::AtLocation(path, raw.lines[0], static_cast<uint64_t>(fields[i].data() - line.data()) + bad_byte + 1,
                                "invalid UTF-8 in the header");
    std::string name = options_.header ? std::string(fields[i]) : "column_" + std::to_string(i + 1);
    if (name.empty()) name = "column_" + std::to_string(i + 1);
    names.push_back(std::move(name));
  }
  if (index == 0) {
    for (size_t i = 0; i < names.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (names[i] == names[j])
          return Status::AtLocation(path, raw.lines[0], 0,
                                    "duplicate column name '" + names[i] + "' (columns " + std::to_string(j + 1) +
                                        " and " + std::to_string(i + 1) + ")");
    header_ = names;
  } else if (options_.header && names != header_) {
    return Status::AtLocation(path, raw.lines[0], 0,
                              "header differs from the first file's (" + inputs_.name(0) + "); all part files must share one header");
  }
  held_skip_ = options_.header ? 1 : 0;
  if (index == 0) {
    // Bytes per row measured on the records within the first MiB of text, so that the estimate
    // (and the sample rate drawn from it) does not depend on the chunk size; compressed files
    // scale it by the first chunk's compression ratio.
    constexpr uint32_t kPrefix = 1 << 20;
    size_t prefix_rows = 0;
    uint64_t prefix_end = 0;
    for (size_t r = held_skip_; r < raw.num_records() && raw.ends[r] < kPrefix; ++r) ++prefix_rows, prefix_end = raw.ends[r] + 1;
    const uint64_t raw_read = chunker_->source().raw_offset();
    double ratio = 1.0;
    if (CompressionFromPath(path) != Compression::kNone && raw_read > 0)
      ratio = static_cast<double>(raw.bytes->size()) / static_cast<double>(raw_read);
    if (prefix_rows > 0) rows_per_raw_byte_ = ratio * static_cast<double>(prefix_rows) / static_cast<double>(prefix_end);
  }
  held_ = std::move(raw);
  return Status::Ok();
}

Status CsvReader::InferSchema() {
  std::vector<ColumnTypeGuesser> guessers(header_.size());
  if (held_) {
    const CsvRawChunk& raw = *held_;
    size_t last = std::min(raw.num_records(), held_skip_ + options_.sample_rows);
    std::vector<std::string_view> fields;
    std::string copy;
    for (size_t rec = held_skip_; rec < last; ++rec) {
      char *begin, *end;
      RecordBounds(raw, rec, &begin, &end);
      copy.assign(begin, end);  // splitting unescapes in place; keep the chunk intact
      size_t bad;
      const char* what;
      if (!SplitCsvRecord(copy.data(), copy.data() + copy.size(), delimiter_, &fields, &bad, &what)) continue;
      if (fields.size() != header_.size()) continue;  // reported with its line by Convert()
      for (size_t c = 0; c < fields.size(); ++c)
        if (!IsMissingToken(fields[c])) guessers[c].Observe(fields[c]);
    }
  }
  std::vector<Column> columns;
  for (size_t c = 0; c < header_.size(); ++c) columns.push_back({header_[c], guessers[c].Guess(), ColumnRole::kFeature});
  schema_ = Schema(std::move(columns));
  derived_of_.assign(header_.size(), {});
  return Status::Ok();
}

Status CsvReader::SetSchema(Schema schema) {
  if (schema.num_read_columns() != header_.size())
    return Status::Internal("CsvReader::SetSchema: column count changed");
  TESSERA_RETURN_IF_ERROR(ValidateDerivedColumns(schema));
  derived_of_.assign(header_.size(), {});
  for (size_t c = header_.size(); c < schema.size(); ++c)
    derived_of_[static_cast<size_t>(schema.Find(schema.column(c).derived->source))].emplace_back(c, schema.column(c).derived->part);
  schema_ = std::move(schema);
  return Status::Ok();
}

Status CsvReader::Rewind() {
  rows_read_ = 0;
  return OpenFile(0);
}

double CsvReader::EstimateRows() const { return rows_per_raw_byte_ * static_cast<double>(inputs_.total_bytes()); }

uint64_t CsvReader::bytes_done() const { return bytes_before_file_ + done_offset_; }

CsvReader::~CsvReader() { DropReadAhead(); }

void CsvReader::DropReadAhead() {
  if (read_ahead_.valid()) read_ahead_.get();
}

void CsvReader::StartReadAhead() {
  if (!chunker_ || read_ahead_.valid()) return;
  read_ahead_ = std::async(std::launch::async, [chunker = chunker_.get()] {
    ReadAhead ahead;
    auto r = chunker->Next(&ahead.raw);
    if (r.ok()) ahead.any = r.value();
    else ahead.status = r.status();
    ahead.raw_offset = chunker->source().raw_offset();
    return ahead;
  });
}

Result<bool> CsvReader::NextRaw(CsvRawChunk* raw) {
  if (read_ahead_.valid()) {
    ReadAhead ahead = read_ahead_.get();
    TESSERA_RETURN_IF_ERROR(ahead.status);
    done_offset_ = ahead.raw_offset;
    *raw = std::move(ahead.raw);
    return ahead.any;
  }
  TESSERA_ASSIGN_OR_RETURN(bool any, chunker_->Next(raw));
  done_offset_ = chunker_->source().raw_offset();
  return any;
}

Result<bool> CsvReader::Next(TableChunk* chunk, const RowSampler* sampler) {
  chunk->storage.reset();  // let the previous chunk's bytes go before reading more
  for (;;) {
    if (held_) {
      CsvRawChunk raw = std::move(*held_);
      size_t skip = held_skip_;
      held_.reset();
      held_skip_ = 0;
      if (raw.num_records() <= skip) continue;
      StartReadAhead();
      TESSERA_RETURN_IF_ERROR(Convert(raw, skip, sampler, chunk));
      return true;
    }
    if (!chunker_) return false;
    CsvRawChunk raw;
    TESSERA_ASSIGN_OR_RETURN(bool any, NextRaw(&raw));
    if (any) {
      StartReadAhead();
      TESSERA_RETURN_IF_ERROR(Convert(raw, 0, sampler, chunk));
      return true;
    }
    if (file_index_ + 1 >= inputs_.size()) {
      chunker_.reset();
      bytes_before_file_ = inputs_.total_bytes();
      done_offset_ = 0;
      return false;
    }
    TESSERA_RETURN_IF_ERROR(OpenFile(file_index_ + 1));
  }
}

Status CsvReader::Convert(const CsvRawChunk& raw, size_t first_record, const RowSampler* sampler, TableChunk* out) {
  // The records to parse: all of them, or those the sampler keeps.
  std::vector<uint32_t> kept;
  const size_t scanned = raw.num_records() - first_record;
  if (sampler && sampler->rate < 1.0) {
    for (size_t r = 0; r < scanned; ++r)
      if (sampler->Keep(rows_read_ + r)) kept.push_back(static_cast<uint32_t>(first_record + r));
  }
  const bool all = !(sampler && sampler->rate < 1.0);
  rows_read_ += scanned;
  const size_t rows = all ? scanned : kept.size();
  auto record_of = [&](size_t r) { return all ? first_record + r : static_cast<size_t>(kept[r]); };
  const size_t ncols = schema_.size(), nread = header_.size();
  // An ignored datetime column is still parsed when derived columns come from it.
  auto NeedsParts = [this](size_t c) { return c < derived_of_.size() && !derived_of_[c].empty(); };
  const std::string& path = inputs_.name(file_index_);
  out->num_rows = rows;
  out->rows_scanned = scanned;
  out->source = path;
  out->groups.clear();
  out->storage = raw.bytes;
  out->row_lines.resize(rows);
  for (size_t r = 0; r < rows; ++r) out->row_lines[r] = raw.lines[record_of(r)];
  out->columns.resize(ncols);
  for (size_t c = 0; c < ncols; ++c) {
    const Column& col = schema_.column(c);
    auto& dst = out->columns[c];
    dst.numbers.clear();
    dst.texts.clear();
    if (col.role == ColumnRole::kIgnored && !(c < nread && NeedsParts(c))) continue;
    if (col.type == ColumnType::kCategorical) dst.texts.resize(rows);
    else dst.numbers.resize(rows);
  }

  struct BlockError {
    size_t row = std::numeric_limits<size_t>::max();
    Status status;
  };
  const int threads = ResolveThreads(options_.threads);
  std::vector<BlockError> errors(static_cast<size_t>(threads));
  const char delim = delimiter_;
  ParallelFor(rows, threads, [&](size_t b, size_t e, size_t block) {
    auto fail = [&](size_t r, const char* at, const std::string& message) {
      uint64_t line, column;
      LocateInRecord(raw, record_of(r), at, &line, &column);
      errors[block] = {r, Status::AtLocation(path, line, column, message)};
    };
    // Reports a row with the wrong number of fields, counting the fields it has.
    auto fail_ragged = [&](size_t r, char* begin, char* p, char* end, size_t seen, bool at_end) {
      size_t found = seen;
      std::string_view f;
      char* next = end;
      bool last = at_end;
      const char *at, *what;
      while (!last && NextCsvField(p, end, delim, &f, &next, &last, &at, &what)) ++found, p = next;
      fail(r, begin, "expected " + std::to_string(nread) + " fields (as in the header), found " + std::to_string(found));
    };
    for (size_t r = b; r < e; ++r) {
      char *begin, *end;
      RecordBounds(raw, record_of(r), &begin, &end);
      char* p = begin;
      bool last = false;
      for (size_t c = 0; c < nread; ++c) {
        if (last) return fail_ragged(r, begin, p, end, c, true);
        const Column& col = schema_.column(c);
        auto& dst = out->columns[c];
        if (col.type == ColumnType::kNumeric && col.role != ColumnRole::kIgnored) {
          // Fused fast path: parse the number in place and expect the delimiter right after it.
          float v;
          const char* stop = ParseDecimalPrefix(p, end, &v);
          if (stop && (stop == end || *stop == delim)) {
            dst.numbers[r] = v;
            last = stop == end;
            p = const_cast<char*>(stop) + 1;
            continue;
          }
        }
        std::string_view f;
        char* next = end;
        const char *at, *what;
        if (!NextCsvField(p, end, delim, &f, &next, &last, &at, &what)) return fail(r, at, std::string("expected ") + what);
        p = next;
        if (col.role == ColumnRole::kIgnored && !NeedsParts(c)) continue;
        switch (col.type) {
          case ColumnType::kNumeric: {
            float v;
            if (ParseNumber(f, &v)) {
              dst.numbers[r] = v;
            } else if (IsMissingToken(f)) {
              dst.numbers[r] = kMissing;
            } else {
              return fail(r, f.data(), "expected a number in column '" + col.name + "', found " + Quoted(f) +
                                           " (pass --categorical " + col.name + " if it holds categories)");
            }
            break;
          }
          case ColumnType::kBoolean: {
            float v;
            if (ParseBoolean(f, &v) || (ParseNumber(f, &v) && (v == 0 || v == 1))) {
              dst.numbers[r] = v;
            } else if (IsMissingToken(f)) {
              dst.numbers[r] = kMissing;
            } else {
              return fail(r, f.data(), "expected true/false in boolean column '" + col.name + "', found " + Quoted(f));
            }
            break;
          }
          case ColumnType::kDatetime: {
            double seconds;
            if (ParseDatetime(f, &seconds)) {
              dst.numbers[r] = static_cast<float>(seconds);
            } else if (IsMissingToken(f)) {
              seconds = std::numeric_limits<double>::quiet_NaN();
              dst.numbers[r] = kMissing;
            } else {
              return fail(r, f.data(), "expected an ISO-8601 date or timestamp in column '" + col.name + "', found " + Quoted(f));
            }
            // From the exact seconds: the float above is off by up to a minute.
            for (const auto& [d, part] : derived_of_[c])
              if (!out->columns[d].numbers.empty()) out->columns[d].numbers[r] = DatetimePartValue(seconds, part);
            break;
          }
          case ColumnType::kCategorical: {
            if (IsMissingToken(f)) {
              dst.texts[r] = std::string_view();
              break;
            }
            size_t bad_byte;
            if (!IsValidUtf8(f, &bad_byte)) return fail(r, f.data() + bad_byte, "invalid UTF-8 in column '" + col.name + "'");
            dst.texts[r] = f;
            break;
          }
        }
      }
      if (!last) return fail_ragged(r, begin, p, end, nread, false);
    }
  }, 1024);
  const BlockError* first = nullptr;
  for (const auto& e : errors)
    if (!e.status.ok() && (!first || e.row < first->row)) first = &e;
  if (first) return first->status;
  return Status::Ok();
}

}  // namespace tessera::data
