// The views the fitted transforms of src/features/ read and write: one column of a row-major
// float table (the model's coded input: numeric values with NaN for missing, categorical codes)
// and a block of columns of a row-major double matrix (the encoded output).
#pragma once

#include <cstddef>
#include <vector>

namespace tessera::features {

struct ColumnView {
  const float* data = nullptr;
  size_t rows = 0, stride = 1;  // value of row i at data[i * stride]
  float operator[](size_t i) const { return data[i * stride]; }
};

// Writes into columns [first, first + width) of a row-major matrix with `stride` columns.
struct OutputBlock {
  double* data = nullptr;
  size_t rows = 0, stride = 1, first = 0;
  double& at(size_t row, size_t col) const { return data[row * stride + first + col]; }
};

}  // namespace tessera::features
