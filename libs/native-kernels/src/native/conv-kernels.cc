#include "conv-kernels.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "direct-conv.h"
#include "sgemm.h"
#include "thread-pool.h"

namespace leadwise {
namespace {

// Output positions per im2col block: one cache block of the GEMM's reduction (filter gradient) or
// of its rows (input gradient), so the block's columns stay in L2 while they are used.
constexpr int kPositionsPerBlock = 256;

int filterSize(const ConvShape& s) { return s.filterHeight * s.filterWidth * s.inChannels; }

bool isPointwise(const ConvShape& s) {
  return s.filterHeight == 1 && s.filterWidth == 1 && s.strideHeight == 1 && s.strideWidth == 1 && s.padTop == 0 &&
         s.padLeft == 0 && s.outHeight == s.inHeight && s.outWidth == s.inWidth;
}

// Rows [first, first + count) of im2col(x): row m holds the filter's window at output position m,
// laid out (ky, kx, c) like the filter, zeros where the window hangs over the padding.
void im2col(const float* x, const ConvShape& s, long first, int count, float* col) {
  const int k = filterSize(s);
  const int ci = s.inChannels;
  const long perImage = static_cast<long>(s.outHeight) * s.outWidth;
  for (int r = 0; r < count; ++r) {
    const long m = first + r;
    const long b = m / perImage;
    const int oy = static_cast<int>((m % perImage) / s.outWidth);
    const int ox = static_cast<int>(m % s.outWidth);
    float* row = col + static_cast<long>(r) * k;
    for (int ky = 0; ky < s.filterHeight; ++ky) {
      const int iy = oy * s.strideHeight - s.padTop + ky;
      float* dst = row + static_cast<long>(ky) * s.filterWidth * ci;
      if (iy < 0 || iy >= s.inHeight) {
        std::memset(dst, 0, sizeof(float) * s.filterWidth * ci);
        continue;
      }
      const float* src = x + ((b * s.inHeight + iy) * s.inWidth) * ci;
      const int ix0 = ox * s.strideWidth - s.padLeft;
      if (ix0 >= 0 && ix0 + s.filterWidth <= s.inWidth) {
        // The window's row lies inside x: kw * ci contiguous floats, one copy (with one input
        // channel, a copy per tap would cost more than the GEMM).
        std::memcpy(dst, src + static_cast<long>(ix0) * ci, sizeof(float) * s.filterWidth * ci);
        continue;
      }
      for (int kx = 0; kx < s.filterWidth; ++kx) {
        const int ix = ix0 + kx;
        if (ix < 0 || ix >= s.inWidth)
          std::memset(dst + kx * ci, 0, sizeof(float) * ci);
        else
          std::memcpy(dst + kx * ci, src + static_cast<long>(ix) * ci, sizeof(float) * ci);
      }
    }
  }
}

// The inverse scatter: adds row r of col into every dx position of its window.
void col2imAdd(const float* col, const ConvShape& s, long first, int count, float* dx) {
  const int k = filterSize(s);
  const int ci = s.inChannels;
  const long perImage = static_cast<long>(s.outHeight) * s.outWidth;
  const long imageSize = static_cast<long>(s.inHeight) * s.inWidth * ci;
  for (int r = 0; r < count; ++r) {
    float* dxImage = dx + (first + r) / perImage * imageSize;
    const long m = (first + r) % perImage;
    const int oy = static_cast<int>(m / s.outWidth);
    const int ox = static_cast<int>(m % s.outWidth);
    const float* row = col + static_cast<long>(r) * k;
    for (int ky = 0; ky < s.filterHeight; ++ky) {
      const int iy = oy * s.strideHeight - s.padTop + ky;
      if (iy < 0 || iy >= s.inHeight) continue;
      float* dstRow = dxImage + static_cast<long>(iy) * s.inWidth * ci;
      const int ix0 = ox * s.strideWidth - s.padLeft;
      const float* src = row + ky * s.filterWidth * ci;
      if (ix0 >= 0 && ix0 + s.filterWidth <= s.inWidth) {
        float* dst = dstRow + static_cast<long>(ix0) * ci;
        for (int e = 0; e < s.filterWidth * ci; ++e) dst[e] += src[e];
        continue;
      }
      for (int kx = 0; kx < s.filterWidth; ++kx) {
        const int ix = ix0 + kx;
        if (ix < 0 || ix >= s.inWidth) continue;
        float* dst = dstRow + static_cast<long>(ix) * ci;
        for (int c = 0; c < ci; ++c) dst[c] += src[kx * ci + c];
      }
    }
  }
}

// Whole register tiles wasted on ragged edges, for a C of rows x cols.
long paddedTileArea(int rows, int cols) {
  const int r = sgemmTileRows();
  const int c = sgemmTileCols();
  return static_cast<long>((rows + r - 1) / r) * r * ((cols + c - 1) / c) * c;
}

}  // namespace

void addPartials(float* out, const float* partials, int count, long size) {
  if (count == 0) return;
  constexpr long kBlock = 8192;
  const long blocks = (size + kBlock - 1) / kBlock;
  parallelFor(static_cast<int>(blocks), size * (count + 1), [&](int block) {
    const long begin = block * kBlock;
    const long end = std::min(size, begin + kBlock);
    for (int p = 0; p < count; ++p) {
      const float* __restrict partial = partials + static_cast<size_t>(p) * size;
      float* __restrict sum = out;
      for (long e = begin; e < end; ++e) sum[e] += partial[e];
    }
  });
}

namespace {

// The filter gradient of one filter tap (ky, kx) for the rows [first, first + count) of the
// output: the [count, inChannels] inputs under that tap (zeros over the padding).
void tapColumns(const float* x, const ConvShape& s, int ky, int kx, long first, int count, float* col) {
  const int ci = s.inChannels;
  const long perImage = static_cast<long>(s.outHeight) * s.outWidth;
  for (int r = 0; r < count; ++r) {
    const long m = first + r;
    const long b = m / perImage;
    const int oy = static_cast<int>((m % perImage) / s.outWidth);
    const int ox = static_cast<int>(m % s.outWidth);
    const int iy = oy * s.strideHeight - s.padTop + ky;
    const int ix = ox * s.strideWidth - s.padLeft + kx;
    float* dst = col + static_cast<long>(r) * ci;
    if (iy < 0 || iy >= s.inHeight || ix < 0 || ix >= s.inWidth)
      std::memset(dst, 0, sizeof(float) * ci);
    else
      std::memcpy(dst, x + ((b * s.inHeight + iy) * s.inWidth + ix) * ci, sizeof(float) * ci);
  }
}

// Small maps (late stages: fewer position blocks than kFilterGradientTasks) split the filter
// gradient by filter tap instead: each task owns the [inChannels, outChannels] slice of one tap and
// sums every position in order, so no partial sums, and as many tasks as taps (9 for 3x3) where a
// split by position had as few as 3 for two threads. Fixed by the shape, so the same bits on any
// thread count.
void backpropFilterByTap(const float* x, const float* dy, float* dw, const ConvShape& s, long positions) {
  const int ci = s.inChannels;
  const int co = s.outChannels;
  parallelFor(s.filterHeight * s.filterWidth, [&](int tap) {
    const int ky = tap / s.filterWidth;
    const int kx = tap % s.filterWidth;
    float* out = dw + static_cast<size_t>(tap) * ci * co;
    thread_local std::vector<float> col;
    col.resize(static_cast<size_t>(kPositionsPerBlock) * ci);
    bool first = true;
    for (long m0 = 0; m0 < positions; m0 += kPositionsPerBlock) {
      const int count = static_cast<int>(std::min<long>(kPositionsPerBlock, positions - m0));
      tapColumns(x, s, ky, kx, m0, count, col.data());
      sgemm(ci, co, count, {col.data(), 1, ci}, {dy + m0 * co, co, 1}, {out, co, 1}, !first);
      first = false;
    }
  });
}

}  // namespace

void conv2dBackpropFilter(const float* x, const float* dy, float* dw, const ConvShape& s) {
  const long positions = static_cast<long>(s.batch) * s.outHeight * s.outWidth;
  const long blocks = (positions + kPositionsPerBlock - 1) / kPositionsPerBlock;
  // Before the direct kernel too: its split by image gives each of its 8 tasks a whole
  // [taps x inChannels x outChannels] partial to zero and add, which outweighs a small map's work.
  if (blocks < kFilterGradientTasks && s.filterHeight * s.filterWidth >= 4 && positions > 0) {
    backpropFilterByTap(x, dy, dw, s, positions);
    return;
  }
  if (directConvBackpropFilter(x, dy, dw, s)) return;
  const int k = filterSize(s);
  const int co = s.outChannels;
  const int tasks = static_cast<int>(std::max<long>(1, std::min<long>(kFilterGradientTasks, blocks)));
  const bool pointwise = isPointwise(s);
  // C = dw [k, co] or its transpose [co, k], whichever leaves fewer padded lanes in the register
  // tiles (with 16 output channels and a 32-wide tile, dw^T wastes nothing).
  const bool transposed = paddedTileArea(co, k) < paddedTileArea(k, co);
  thread_local std::vector<float> partialBuffer;
  float* partials = scratch(partialBuffer, static_cast<size_t>(tasks - 1) * k * co);

  parallelFor(tasks, [&](int task) {
    float* out = task == 0 ? dw : partials + static_cast<size_t>(task - 1) * k * co;
    const long begin = positions * task / tasks;
    const long end = positions * (task + 1) / tasks;
    thread_local std::vector<float> col;
    if (!pointwise) col.resize(static_cast<size_t>(kPositionsPerBlock) * k);
    bool first = true;
    for (long m0 = begin; m0 < end; m0 += kPositionsPerBlock) {
      const int count = static_cast<int>(std::min<long>(kPositionsPerBlock, end - m0));
      const float* rows = x + m0 * k;
      if (!pointwise) {
        im2col(x, s, m0, count, col.data());
        rows = col.data();
      }
      const float* grads = dy + m0 * co;
      // col is [count, k] and dy is [count, co]; the reduction runs over the count positions.
      if (transposed)
        sgemm(co, k, count, {grads, 1, co}, {rows, k, 1}, {out, 1, co}, !first);
      else
        sgemm(k, co, count, {rows, 1, k}, {grads, co, 1}, {out, co, 1}, !first);
      first = false;
    }
    if (first) std::fill(out, out + static_cast<size_t>(k) * co, 0.0f);
  });

  addPartials(dw, partials, tasks - 1, static_cast<long>(k) * co);
}

void conv2dBackpropInput(const float* dy, const float* filter, float* dx, const ConvShape& s) {
  if (directConvBackpropInput(dy, filter, dx, s)) return;
  const int k = filterSize(s);
  const int co = s.outChannels;
  // W^T [co, k], transposed once here: read through strides instead, every GEMM call would repack
  // it element by element (for 4x5 maps with 128 channels that cost 7x the FMAs).
  thread_local std::vector<float> filterBuffer;
  float* filterT = scratch(filterBuffer, static_cast<size_t>(k) * co);
  for (int row = 0; row < k; ++row)
    for (int o = 0; o < co; ++o) filterT[static_cast<size_t>(o) * k + row] = filter[static_cast<size_t>(row) * co + o];
  const MatrixView wT{filterT, k, 1};
  const long positions = static_cast<long>(s.batch) * s.outHeight * s.outWidth;
  if (isPointwise(s)) {
    const long blocks = (positions + kPositionsPerBlock - 1) / kPositionsPerBlock;
    parallelFor(static_cast<int>(blocks), [&](int block) {
      const long m0 = static_cast<long>(block) * kPositionsPerBlock;
      const int count = static_cast<int>(std::min<long>(kPositionsPerBlock, positions - m0));
      sgemm(count, k, co, {dy + m0 * co, co, 1}, wT, {dx + m0 * k, k, 1}, false);
    });
    return;
  }
  // Each task owns whole images, so no two threads add into the same dx element, and each element
  // sums its contributions in position order whatever the split: the same bits for any thread count.
  // A GEMM block may span images of one task, so small late-stage maps still fill a block.
  const long perImage = static_cast<long>(s.outHeight) * s.outWidth;
  const long imageSize = static_cast<long>(s.inHeight) * s.inWidth * s.inChannels;
  // A few tasks per thread, so that threads claiming them balance when one starts late.
  const int threads = parallelism();
  const int tasks = std::max(1, std::min(threads == 1 ? 1 : 4 * threads, s.batch));
  parallelFor(tasks, [&](int task) {
    const long firstImage = static_cast<long>(s.batch) * task / tasks;
    const long endImage = static_cast<long>(s.batch) * (task + 1) / tasks;
    std::fill(dx + firstImage * imageSize, dx + endImage * imageSize, 0.0f);
    thread_local std::vector<float> col;
    col.resize(static_cast<size_t>(kPositionsPerBlock) * k);
    const long end = endImage * perImage;
    for (long m0 = firstImage * perImage; m0 < end; m0 += kPositionsPerBlock) {
      const int count = static_cast<int>(std::min<long>(kPositionsPerBlock, end - m0));
      sgemm(count, k, co, {dy + m0 * co, co, 1}, wT, {col.data(), k, 1}, false);
      col2imAdd(col.data(), s, m0, count, dx);
    }
  });
}

void conv2dForward(const float* x, const float* filter, const float* bias, float* y, const ConvShape& s,
                   Activation activation) {
  if (directConvForward(x, filter, bias, y, s, activation)) return;
  const int k = filterSize(s);
  const int co = s.outChannels;
  const long positions = static_cast<long>(s.batch) * s.outHeight * s.outWidth;
  const long blocks = (positions + kPositionsPerBlock - 1) / kPositionsPerBlock;
  const bool pointwise = isPointwise(s);
  parallelFor(static_cast<int>(blocks), [&](int block) {
    const long m0 = static_cast<long>(block) * kPositionsPerBlock;
    const int count = static_cast<int>(std::min<long>(kPositionsPerBlock, positions - m0));
    const float* rows = x + m0 * k;
    thread_local std::vector<float> col;
    if (!pointwise) {
      col.resize(static_cast<size_t>(kPositionsPerBlock) * k);
      im2col(x, s, m0, count, col.data());
      rows = col.data();
    }
    float* out = y + m0 * co;
    sgemm(count, co, k, {rows, k, 1}, {filter, co, 1}, {out, co, 1}, false);
    if (bias == nullptr && activation == Activation::kLinear) return;
    for (int r = 0; r < count; ++r) {
      float* row = out + static_cast<long>(r) * co;
      if (bias != nullptr)
        for (int c = 0; c < co; ++c) row[c] += bias[c];
      if (activation == Activation::kRelu)
        for (int c = 0; c < co; ++c) row[c] = row[c] > 0.0f ? row[c] : 0.0f;
    }
  });
}

void maxPool(const float* x, float* y, const PoolShape& s) {
  const int c = s.channels;
  const long imageSize = static_cast<long>(s.inHeight) * s.inWidth * c;
  const long outImageSize = static_cast<long>(s.outHeight) * s.outWidth * c;
  parallelFor(s.batch, s.batch * (imageSize + outImageSize), [&](int b) {
    const float* xImage = x + b * imageSize;
    float* yImage = y + b * outImageSize;
    for (int oh = 0; oh < s.outHeight; ++oh) {
      const int h0 = std::max(oh * s.strideHeight - s.padTop, 0);
      const int h1 = std::min(oh * s.strideHeight - s.padTop + s.filterHeight, s.inHeight);
      for (int ow = 0; ow < s.outWidth; ++ow) {
        const int w0 = std::max(ow * s.strideWidth - s.padLeft, 0);
        const int w1 = std::min(ow * s.strideWidth - s.padLeft + s.filterWidth, s.inWidth);
        float* __restrict out = yImage + (static_cast<long>(oh) * s.outWidth + ow) * c;
        if (h0 >= h1 || w0 >= w1) {
          std::fill(out, out + c, -std::numeric_limits<float>::infinity());
          continue;
        }
        bool first = true;
        for (int h = h0; h < h1; ++h) {
          for (int w = w0; w < w1; ++w) {
            const float* __restrict in = xImage + (static_cast<long>(h) * s.inWidth + w) * c;
            if (first) {
              std::copy(in, in + c, out);
              first = false;
              continue;
            }
            for (int ch = 0; ch < c; ++ch) out[ch] = in[ch] > out[ch] ? in[ch] : out[ch];
          }
        }
      }
    }
  });
}

void avgPool(const float* x, float* y, const PoolShape& s) {
  const int c = s.channels;
  const int positions = s.filterHeight * s.filterWidth;
  const float scale = 1.0f / static_cast<float>(positions);
  const long imageSize = static_cast<long>(s.inHeight) * s.inWidth * c;
  const long outImageSize = static_cast<long>(s.outHeight) * s.outWidth * c;
  parallelFor(s.batch, s.batch * (imageSize + outImageSize), [&](int b) {
    thread_local std::vector<float> zeros;
    if (zeros.size() < static_cast<size_t>(c)) zeros.assign(c, 0.0f);
    const float* xImage = x + b * imageSize;
    float* yImage = y + b * outImageSize;
    const float* in[9];
    for (int oh = 0; oh < s.outHeight; ++oh) {
      for (int ow = 0; ow < s.outWidth; ++ow) {
        for (int i = 0; i < 9; ++i) in[i] = zeros.data();
        for (int px = 0; px < s.filterWidth; ++px)
          for (int py = 0; py < s.filterHeight; ++py)
            in[px * s.filterHeight + py] =
                xImage + ((static_cast<long>(oh) * s.strideHeight + py) * s.inWidth + static_cast<long>(ow) * s.strideWidth + px) * c;
        float* __restrict out = yImage + (static_cast<long>(oh) * s.outWidth + ow) * c;
        for (int ch = 0; ch < c; ++ch) {
          const float sum01 = in[0][ch] + in[1][ch];
          const float sum23 = in[2][ch] + in[3][ch];
          const float sum45 = in[4][ch] + in[5][ch];
          const float sum67 = in[6][ch] + in[7][ch];
          const float sum018 = sum01 + in[8][ch];
          const float sum2345 = sum23 + sum45;
          const float sum01678 = sum018 + sum67;
          out[ch] = (sum2345 + sum01678) * scale;
        }
      }
    }
  });
}

void avgPoolGrad(const float* dy, float* dx, const PoolShape& s) {
  const int c = s.channels;
  const float scale = 1.0f / static_cast<float>(s.filterHeight * s.filterWidth);
  const long imageSize = static_cast<long>(s.inHeight) * s.inWidth * c;
  const long outImageSize = static_cast<long>(s.outHeight) * s.outWidth * c;
  parallelFor(s.batch, s.batch * (imageSize + outImageSize), [&](int b) {
    float* dxImage = dx + b * imageSize;
    const float* dyImage = dy + b * outImageSize;
    std::fill(dxImage, dxImage + imageSize, 0.0f);
    for (int oh = 0; oh < s.outHeight; ++oh) {
      for (int ow = 0; ow < s.outWidth; ++ow) {
        const float* __restrict g = dyImage + (static_cast<long>(oh) * s.outWidth + ow) * c;
        for (int py = 0; py < s.filterHeight; ++py) {
          for (int px = 0; px < s.filterWidth; ++px) {
            float* __restrict out =
                dxImage + ((static_cast<long>(oh) * s.strideHeight + py) * s.inWidth + static_cast<long>(ow) * s.strideWidth + px) * c;
            for (int ch = 0; ch < c; ++ch) out[ch] = g[ch] * scale;
          }
        }
      }
    }
  });
}

void maxPoolGrad(const float* x, const float* dy, float* dx, const PoolShape& s) {
  const int c = s.channels;
  const long imageSize = static_cast<long>(s.inHeight) * s.inWidth * c;
  parallelFor(s.batch, [&](int b) {
    float* dxImage = dx + b * imageSize;
    const float* xImage = x + b * imageSize;
    std::fill(dxImage, dxImage + imageSize, 0.0f);
    std::vector<long> offsets(static_cast<size_t>(s.filterHeight) * s.filterWidth);
    for (int oh = 0; oh < s.outHeight; ++oh) {
      const int h0 = std::max(oh * s.strideHeight - s.padTop, 0);
      const int h1 = std::min(oh * s.strideHeight - s.padTop + s.filterHeight, s.inHeight);
      for (int ow = 0; ow < s.outWidth; ++ow) {
        const int w0 = std::max(ow * s.strideWidth - s.padLeft, 0);
        const int w1 = std::min(ow * s.strideWidth - s.padLeft + s.filterWidth, s.inWidth);
        const float* g = dy + ((static_cast<long>(b) * s.outHeight + oh) * s.outWidth + ow) * c;
        if (h1 - h0 == 2 && w1 - w0 == 2) {
          const long p0 = (static_cast<long>(h0) * s.inWidth + w0) * c;
          const long p1 = p0 + c;
          const long p2 = p0 + static_cast<long>(s.inWidth) * c;
          const long p3 = p2 + c;
          for (int ch = 0; ch < c; ++ch) {
            const float v0 = xImage[p0 + ch], v1 = xImage[p1 + ch], v2 = xImage[p2 + ch], v3 = xImage[p3 + ch];
            const float top = v1 > v0 ? v1 : v0;
            const long topAt = v1 > v0 ? p1 : p0;
            const float bottom = v3 > v2 ? v3 : v2;
            const long bottomAt = v3 > v2 ? p3 : p2;
            // Ties go to the earlier (upper) row, as in a row-major scan.
            dxImage[(bottom > top ? bottomAt : topAt) + ch] += g[ch];
          }
          continue;
        }
        int count = 0;
        for (int h = h0; h < h1; ++h)
          for (int w = w0; w < w1; ++w) offsets[count++] = (static_cast<long>(h) * s.inWidth + w) * c;
        if (count == 0) continue;
        for (int ch = 0; ch < c; ++ch) {
          long at = offsets[0] + ch;
          float best = xImage[at];
          for (int i = 1; i < count; ++i) {
            const float v = xImage[offsets[i] + ch];
            if (v > best) {
              best = v;
              at = offsets[i] + ch;
            }
          }
          dxImage[at] += g[ch];
        }
      }
    }
  });
}

void batchMatMul(const float* a, const float* b, float* c, int batch, int batchA, int batchB, int m, int n, int k,
                 bool transposeA, bool transposeB) {
  constexpr int kBlock = 256;
  const int rowBlocks = (m + kBlock - 1) / kBlock;
  const int colBlocks = (n + kBlock - 1) / kBlock;
  const long perBatch = static_cast<long>(rowBlocks) * colBlocks;
  parallelFor(static_cast<int>(batch * perBatch), [&](int task) {
    const int p = static_cast<int>(task / perBatch);
    const int rb = static_cast<int>((task % perBatch) / colBlocks);
    const int cb = static_cast<int>(task % colBlocks);
    const int i0 = rb * kBlock, j0 = cb * kBlock;
    const int rows = std::min(kBlock, m - i0), cols = std::min(kBlock, n - j0);
    const float* ap = a + static_cast<std::ptrdiff_t>(batchA == 1 ? 0 : p) * m * k;
    const float* bp = b + static_cast<std::ptrdiff_t>(batchB == 1 ? 0 : p) * k * n;
    float* cp = c + static_cast<std::ptrdiff_t>(p) * m * n;
    const MatrixView av = transposeA ? MatrixView{ap + i0, 1, m} : MatrixView{ap + static_cast<std::ptrdiff_t>(i0) * k, k, 1};
    const MatrixView bv = transposeB ? MatrixView{bp + static_cast<std::ptrdiff_t>(j0) * k, 1, k} : MatrixView{bp + j0, n, 1};
    sgemm(rows, cols, k, av, bv, {cp + static_cast<std::ptrdiff_t>(i0) * n + j0, n, 1}, false);
  });
}

}  // namespace leadwise
