// Single-threaded blocked SGEMM on strided matrices: C (+)= A x B with A [m, k], B [k, n], C [m, n],
// where element (i, j) of a matrix X lives at X[i * rowStride + j * colStride]. Strides let callers
// pass transposed views (an im2col buffer read as its transpose, a filter as [co, K]) with no copy:
// the packing step reads them once per block anyway. Threads split work above this level.
#pragma once

#include <cstddef>

namespace leadwise {

struct MatrixView {
  const float* data;
  std::ptrdiff_t rowStride;
  std::ptrdiff_t colStride;
};

struct OutputView {
  float* data;
  std::ptrdiff_t rowStride;
  std::ptrdiff_t colStride;
};

// accumulate: add into C (true) or overwrite it (false).
void sgemm(int m, int n, int k, MatrixView a, MatrixView b, OutputView c, bool accumulate);

// The register tile of the microkernel chosen for this CPU, for callers that pick a layout.
int sgemmTileRows();
int sgemmTileCols();

// "avx512", "avx2+fma" or "generic": which microkernel runtime dispatch chose.
const char* sgemmIsa();

}  // namespace leadwise
