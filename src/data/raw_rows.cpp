#include "tessera/data/raw_rows.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>

#include "tessera/data/table_reader.h"

namespace tessera::data {

namespace {

std::string NumberText(float v) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

}  // namespace

Result<RawRows> ReadRawRows(const std::vector<std::string>& inputs, const IngestOptions& options,
                            const std::vector<std::string>& columns, const std::vector<size_t>& rows) {
  TESSERA_ASSIGN_OR_RETURN(auto reader, OpenTable(inputs, options));
  const Schema& schema = reader->schema();
  std::vector<int> where(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) {
    where[c] = schema.Find(columns[c]);
    if (where[c] < 0) return Status::UserError(inputs.empty() ? "" : inputs[0] + ": no column '" + columns[c] + "'");
  }
  std::unordered_map<size_t, size_t> slot;  // input row -> position in `rows`
  for (size_t i = 0; i < rows.size(); ++i) slot[rows[i]] = i;
  RawRows out;
  out.text.assign(rows.size() * columns.size(), "");
  out.numbers.assign(rows.size() * columns.size(), std::nan(""));
  size_t seen = 0, found = 0;
  const size_t last = rows.empty() ? 0 : *std::max_element(rows.begin(), rows.end());
  TableChunk chunk;
  while (found < rows.size()) {
    TESSERA_ASSIGN_OR_RETURN(bool more, reader->Next(&chunk));
    if (!more) break;
    for (size_t r = 0; r < chunk.num_rows; ++r) {
      auto it = slot.find(seen + r);
      if (it == slot.end()) continue;
      ++found;
      for (size_t c = 0; c < columns.size(); ++c) {
        const Column& col = schema.column(static_cast<size_t>(where[c]));
        const ChunkColumn& data = chunk.columns[static_cast<size_t>(where[c])];
        const size_t at = it->second * columns.size() + c;
        if (col.type == ColumnType::kCategorical) {
          if (data.texts[r].data() != nullptr) out.text[at] = std::string(data.texts[r]);
        } else if (!std::isnan(data.numbers[r])) {
          out.numbers[at] = data.numbers[r];
          out.text[at] = col.type == ColumnType::kDatetime ? FormatDatetime(data.numbers[r]) : NumberText(data.numbers[r]);
        }
      }
    }
    seen += chunk.num_rows;
    if (seen > last) break;
  }
  if (found < rows.size())
    return Status::UserError("the data has " + std::to_string(seen) + " rows; row " + std::to_string(last) +
                             " was asked for (rows count from 0)");
  return out;
}

}  // namespace tessera::data
