#include "tessera/data/coded_rows.h"

#include <charconv>
#include <cmath>

#include "tessera/data/table_reader.h"

namespace tessera::data {

Result<CodedRows> ReadCodedRows(const std::vector<std::string>& inputs, const IngestOptions& options,
                                const BinnedDataset& reference) {
  std::vector<size_t> feature_columns;
  TESSERA_ASSIGN_OR_RETURN(auto reader, OpenTableWithReference(inputs, options, reference, false, &feature_columns));
  CodedRows out;
  out.cols = reference.num_features();
  TableChunk chunk;
  for (;;) {
    TESSERA_ASSIGN_OR_RETURN(bool any, reader->Next(&chunk));
    if (!any) break;
    const size_t first = out.values.size();
    out.values.resize(first + chunk.num_rows * out.cols);
    for (size_t f = 0; f < out.cols; ++f) {
      const BinMapper& m = reference.mappers()[f];
      const ChunkColumn& col = chunk.columns[feature_columns[f]];
      float* dst = out.values.data() + first + f;
      if (m.kind() == BinMapper::Kind::kCategorical) {
        for (size_t r = 0; r < chunk.num_rows; ++r) {
          const std::string_view t = col.texts[r];
          dst[r * out.cols] = static_cast<float>(t.data() == nullptr ? BinMapper::kMissingBin : m.BinOfCategory(t));
        }
      } else {
        for (size_t r = 0; r < chunk.num_rows; ++r) dst[r * out.cols] = col.numbers[r];
      }
    }
    out.rows += chunk.num_rows;
  }
  return out;
}

CodedRows CodeFloatRows(const BinnedDataset& reference, const float* values, size_t rows) {
  CodedRows out;
  out.rows = rows;
  out.cols = reference.num_features();
  out.values.assign(values, values + rows * out.cols);
  for (size_t f = 0; f < out.cols; ++f) {
    const BinMapper& m = reference.mappers()[f];
    if (m.kind() != BinMapper::Kind::kCategorical) continue;
    for (size_t r = 0; r < rows; ++r) {
      float& v = out.values[r * out.cols + f];
      if (std::isnan(v)) {
        v = static_cast<float>(BinMapper::kMissingBin);
      } else {
        char text[32];
        const auto end = std::to_chars(text, text + sizeof(text), v).ptr;
        v = static_cast<float>(m.BinOfCategory(std::string_view(text, static_cast<size_t>(end - text))));
      }
    }
  }
  return out;
}

CodedRows SelectCodedRows(const CodedRows& rows, const std::vector<size_t>& which) {
  CodedRows out{which.size(), rows.cols, {}};
  out.values.reserve(which.size() * rows.cols);
  for (size_t r : which) {
    const auto begin = rows.values.begin() + static_cast<std::ptrdiff_t>(r * rows.cols);
    out.values.insert(out.values.end(), begin, begin + static_cast<std::ptrdiff_t>(rows.cols));
  }
  return out;
}

}  // namespace tessera::data
