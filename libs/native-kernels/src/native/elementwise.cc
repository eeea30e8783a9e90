#include "elementwise.h"

// Adam must round every operation as tfjs does (no fused multiply-adds), see adamUpdate.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "thread-pool.h"

namespace leadwise {
namespace {

// Rows per task: a fixed split (independent of the thread count), so results have fixed bits.
// Within a chunk sums run in float per channel (vectorised), chunk partials add up in double.
// A chunk holds about 8192 floats (512 rows of 16 channels, 64 of 128), so that the small maps of
// wide layers still split into enough tasks to balance two threads.
constexpr long kChunkFloats = 8192;
constexpr long kMinChunkRows = 16;

long chunkRowsOf(int channels) { return std::max<long>(kMinChunkRows, kChunkFloats / channels); }

long chunksOf(long rows, long chunkRows) { return std::max<long>(1, (rows + chunkRows - 1) / chunkRows); }

// Element-wise work with no reductions splits anywhere without changing a bit.
constexpr long kBlockFloats = 16384;

template <typename Fn>
void forBlocks(long size, Fn fn) {
  const long blocks = std::max<long>(1, (size + kBlockFloats - 1) / kBlockFloats);
  parallelFor(static_cast<int>(blocks), size, [&](int block) {
    const long begin = block * kBlockFloats;
    fn(begin, std::min(size, begin + kBlockFloats));
  });
}

// Each chunk sums into an accumulator of its own thread (on its stack, in cache), copied to the
// chunk's slot at the end: two threads adding rows into neighbouring slots of one array share cache
// lines (a 16-channel slot is a quarter of one), and that false sharing made two threads slower
// than one. The sums are the same float additions in the same order, so the same bits.
template <typename RangeFn>
void chunkedRangeSums(long rows, int channels, int sums, std::vector<double>& out, RangeFn rangeFn);

template <typename RowFn>
void chunkedSums(long rows, int channels, int sums, std::vector<double>& out, RowFn rowFn) {
  chunkedRangeSums(rows, channels, sums, out, [&](long begin, long end, float* acc) {
    for (long r = begin; r < end; ++r) rowFn(r, acc);
  });
}

// chunkedSums with the chunk's rows [begin, end) handed over at once.
template <typename RangeFn>
void chunkedRangeSums(long rows, int channels, int sums, std::vector<double>& out, RangeFn rangeFn) {
  const long chunkRows = chunkRowsOf(channels);
  const long chunks = chunksOf(rows, chunkRows);
  const size_t width = static_cast<size_t>(sums) * channels;
  std::vector<float> partial(static_cast<size_t>(chunks) * width, 0.0f);
  parallelFor(static_cast<int>(chunks), rows * channels, [&](int chunk) {
    thread_local std::vector<float> local;
    local.assign(width, 0.0f);
    float* acc = local.data();
    const long begin = chunk * chunkRows;
    const long end = std::min(rows, begin + chunkRows);
    rangeFn(begin, end, acc);
    std::copy(local.begin(), local.end(), partial.begin() + static_cast<long>(chunk * width));
  });
  out.assign(width, 0.0);
  for (long chunk = 0; chunk < chunks; ++chunk) {
    const float* acc = partial.data() + static_cast<size_t>(chunk) * width;
    for (size_t i = 0; i < width; ++i) out[i] += acc[i];
  }
}

template <typename Fn>
void forRows(long rows, int channels, Fn fn) {
  const long chunkRows = chunkRowsOf(channels);
  const long chunks = chunksOf(rows, chunkRows);
  parallelFor(static_cast<int>(chunks), rows * channels, [&](int chunk) {
    const long begin = chunk * chunkRows;
    fn(begin, std::min(rows, begin + chunkRows));
  });
}

}  // namespace

void batchNormTrainForward(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                           float* variance, long rows, int channels, float epsilon, bool relu) {
  const int c = channels;
  std::vector<double> sums;
  chunkedSums(rows, c, 1, sums, [&](long r, float* __restrict acc) {
    const float* __restrict xr = x + r * c;
    for (int k = 0; k < c; ++k) acc[k] += xr[k];
  });
  for (int k = 0; k < c; ++k) mean[k] = static_cast<float>(sums[k] / static_cast<double>(rows));
  chunkedSums(rows, c, 1, sums, [&](long r, float* __restrict acc) {
    const float* __restrict xr = x + r * c;
    for (int k = 0; k < c; ++k) {
      const float d = xr[k] - mean[k];
      acc[k] += d * d;
    }
  });
  std::vector<float> a(c), b(c);
  for (int k = 0; k < c; ++k) {
    variance[k] = static_cast<float>(sums[k] / static_cast<double>(rows));
    const double factor = static_cast<double>(gamma[k]) / std::sqrt(static_cast<double>(variance[k]) + epsilon);
    a[k] = static_cast<float>(factor);
    b[k] = static_cast<float>(beta[k] - mean[k] * factor);
  }
  forRows(rows, c, [&](long begin, long end) {
    const float* __restrict av = a.data();
    const float* __restrict bv = b.data();
    if (relu) {
      for (long r = begin; r < end; ++r) {
        const float* __restrict xr = x + r * c;
        float* __restrict yr = y + r * c;
        for (int k = 0; k < c; ++k) {
          const float v = xr[k] * av[k] + bv[k];
          yr[k] = v > 0.0f ? v : 0.0f;
        }
      }
      return;
    }
    for (long r = begin; r < end; ++r) {
      const float* __restrict xr = x + r * c;
      float* __restrict yr = y + r * c;
      for (int k = 0; k < c; ++k) yr[k] = xr[k] * av[k] + bv[k];
    }
  });
}

void reluGradRange(const float* dy, const float* y, float* dx, long begin, long end);

void batchNormTrainBackward(const float* x, const float* dy, const float* gamma, const float* mean,
                            const float* variance, const float* dmean, const float* dvariance, float* dx,
                            float* dgamma, float* dbeta, long rows, int channels, float epsilon,
                            const float* reluOut) {
  const int c = channels;
  std::vector<double> sums;
  if (reluOut != nullptr) {
    // The ReLU's gradient goes into dx first (one contiguous loop per chunk, which vectorises as
    // reluGrad's does: inside the row loops GCC kept its conditional as branches, which the signs of
    // y mispredict half the time, 20x slower); the last pass reads it there and overwrites it.
    // The sums below repeat the plain path's on purpose: one loop reading either dx or dy through a
    // pointer chosen at run time made the plain backward 50% slower (163840x16: 2.6 against 1.7 ms).
    chunkedRangeSums(rows, c, 2, sums, [&](long begin, long end, float* acc) {
      reluGradRange(dy, reluOut, dx, begin * c, end * c);
      for (long r = begin; r < end; ++r) {
        const float* __restrict xr = x + r * c;
        const float* __restrict dyr = dx + r * c;
        float* __restrict sumDy = acc;
        float* __restrict sumDyXc = acc + c;
        for (int k = 0; k < c; ++k) {
          sumDy[k] += dyr[k];
          sumDyXc[k] += dyr[k] * (xr[k] - mean[k]);
        }
      }
    });
  } else {
    chunkedSums(rows, c, 2, sums, [&](long r, float* __restrict acc) {
      const float* __restrict xr = x + r * c;
      const float* __restrict dyr = dy + r * c;
      float* __restrict sumDy = acc;
      float* __restrict sumDyXc = acc + c;
      for (int k = 0; k < c; ++k) {
        sumDy[k] += dyr[k];
        sumDyXc[k] += dyr[k] * (xr[k] - mean[k]);
      }
    });
  }
  // dx = k1 * dy + k2 * (x - mean) + k3 per channel, with r = 1/sqrt(var + eps), n = rows:
  //   k1 = gamma r,  k2 = -gamma r^3 sum(dy (x - mean)) / n + 2 dvar / n,  k3 = -gamma r sum(dy) / n + dmean / n.
  std::vector<float> k1(c), k2(c), k3(c);
  const double n = static_cast<double>(rows);
  for (int k = 0; k < c; ++k) {
    const double r = 1.0 / std::sqrt(static_cast<double>(variance[k]) + epsilon);
    const double g = gamma[k];
    const double sumDy = sums[k];
    const double sumDyXc = sums[c + k];
    dbeta[k] = static_cast<float>(sumDy);
    dgamma[k] = static_cast<float>(sumDyXc * r);
    k1[k] = static_cast<float>(g * r);
    k2[k] = static_cast<float>(-g * r * r * r * sumDyXc / n + (dvariance ? 2.0 * dvariance[k] / n : 0.0));
    k3[k] = static_cast<float>(-g * r * sumDy / n + (dmean ? dmean[k] / n : 0.0));
  }
  forRows(rows, c, [&](long begin, long end) {
    const float* __restrict a = k1.data();
    const float* __restrict b = k2.data();
    const float* __restrict d = k3.data();
    if (reluOut != nullptr) {
      for (long r = begin; r < end; ++r) {
        const float* __restrict xr = x + r * c;
        float* __restrict dxr = dx + r * c;
        for (int k = 0; k < c; ++k) dxr[k] = a[k] * dxr[k] + b[k] * (xr[k] - mean[k]) + d[k];
      }
      return;
    }
    for (long r = begin; r < end; ++r) {
      const float* __restrict xr = x + r * c;
      const float* __restrict dyr = dy + r * c;
      float* __restrict dxr = dx + r * c;
      for (int k = 0; k < c; ++k) dxr[k] = a[k] * dyr[k] + b[k] * (xr[k] - mean[k]) + d[k];
    }
  });
}

void reluGradRange(const float* dy, const float* y, float* dx, long begin, long end) {
  const float* __restrict a = dy;
  const float* __restrict b = y;
  float* __restrict out = dx;
  // tfjs's dy * step(x): step is 1 for x > 0, NaN for NaN, else 0. Branch-free (vectorised).
  for (long i = begin; i < end; ++i) {
    const float x = b[i];
    const float step = x > 0.0f ? 1.0f : (x != x ? x : 0.0f);
    out[i] = a[i] * step;
  }
}

void reluGrad(const float* dy, const float* y, float* dx, long size) {
  forBlocks(size, [&](long begin, long end) { reluGradRange(dy, y, dx, begin, end); });
}

void relu(const float* x, float* y, long size) {
  forBlocks(size, [&](long begin, long end) {
    const float* __restrict in = x;
    float* __restrict out = y;
    for (long i = begin; i < end; ++i) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
  });
}

void add(const float* a, const float* b, float* out, long size) {
  forBlocks(size, [&](long begin, long end) {
    const float* __restrict l = a;
    const float* __restrict r = b;
    float* __restrict o = out;
    for (long i = begin; i < end; ++i) o[i] = l[i] + r[i];
  });
}

void movingAverage(const float* v, const float* x, float* out, long size, float decay) {
  for (long i = 0; i < size; ++i) {
    const float difference = v[i] - x[i];
    const float step = difference * decay;
    out[i] = v[i] - step;
  }
}

void maskedMaxPool(const float* x, const float* penalty, float* out, int* winner, int batch, int cells, int channels,
                   int leads) {
  const long work = static_cast<long>(batch) * leads * cells * channels;
  parallelFor(batch, work, [&](int b) {
    const float* xb = x + static_cast<size_t>(b) * cells * channels;
    for (int l = 0; l < leads; ++l) {
      const float* pen = penalty + (static_cast<size_t>(b) * leads + l) * cells;
      float* best = out + (static_cast<size_t>(b) * leads + l) * channels;
      int* arg = winner + (static_cast<size_t>(b) * leads + l) * channels;
      for (int c = 0; c < channels; ++c) {
        best[c] = xb[c] + pen[0];
        arg[c] = 0;
      }
      for (int k = 1; k < cells; ++k) {
        const float p = pen[k];
        const float* xr = xb + static_cast<size_t>(k) * channels;
        for (int c = 0; c < channels; ++c) {
          const float v = xr[c] + p;
          if (v > best[c]) {
            best[c] = v;
            arg[c] = k;
          }
        }
      }
    }
  });
}

void maskedMaxPoolGrad(const float* dy, const int* winner, float* dx, int batch, int cells, int channels, int leads) {
  const long work = static_cast<long>(batch) * cells * channels;
  parallelFor(batch, work, [&](int b) {
    float* dxb = dx + static_cast<size_t>(b) * cells * channels;
    std::fill(dxb, dxb + static_cast<size_t>(cells) * channels, 0.0f);
    for (int l = 0; l < leads; ++l) {
      const size_t row = (static_cast<size_t>(b) * leads + l) * channels;
      for (int c = 0; c < channels; ++c) dxb[static_cast<size_t>(winner[row + c]) * channels + c] += dy[row + c];
    }
  });
}

void adamUpdate(const float* value, const float* m, const float* v, const float* gradient, float* newValue,
                float* newM, float* newV, long size, float beta1, float oneMinusBeta1, float beta2,
                float oneMinusBeta2, float oneMinusAcc1, float oneMinusAcc2, float epsilon, float negLearningRate) {
  forBlocks(size, [&](long begin, long end) {
    const float* __restrict x = value;
    const float* __restrict m0 = m;
    const float* __restrict v0 = v;
    const float* __restrict g = gradient;
    float* __restrict x1 = newValue;
    float* __restrict m1 = newM;
    float* __restrict v1 = newV;
    for (long i = begin; i < end; ++i) {
      const float gi = g[i];
      const float mi = m0[i] * beta1 + gi * oneMinusBeta1;
      const float vi = v0[i] * beta2 + (gi * gi) * oneMinusBeta2;
      m1[i] = mi;
      v1[i] = vi;
      x1[i] = (mi / oneMinusAcc1) / (std::sqrt(vi / oneMinusAcc2) + epsilon) * negLearningRate + x[i];
    }
  });
}

namespace {

template <bool kConcat>
void copyColumns(float* wide, float* const* parts, const int* widths, int count, long rows) {
  long total = 0;
  std::vector<long> offsets(count);
  for (int i = 0; i < count; ++i) {
    offsets[i] = total;
    total += widths[i];
  }
  constexpr long kRowsPerTask = 256;
  const long tasks = std::max<long>(1, (rows + kRowsPerTask - 1) / kRowsPerTask);
  parallelFor(static_cast<int>(tasks), rows * total, [&](int task) {
    const long begin = task * kRowsPerTask;
    const long end = std::min(rows, begin + kRowsPerTask);
    for (long r = begin; r < end; ++r) {
      float* row = wide + r * total;
      for (int i = 0; i < count; ++i) {
        float* part = parts[i] + r * widths[i];
        if (kConcat) {
          std::memcpy(row + offsets[i], part, sizeof(float) * widths[i]);
        } else {
          std::memcpy(part, row + offsets[i], sizeof(float) * widths[i]);
        }
      }
    }
  });
}

}  // namespace

void concatColumns(const float* const* parts, const int* widths, int count, float* out, long rows) {
  copyColumns<true>(out, const_cast<float* const*>(parts), widths, count, rows);
}

void splitColumns(const float* in, float* const* parts, const int* widths, int count, long rows) {
  copyColumns<false>(const_cast<float*>(in), parts, widths, count, rows);
}

}  // namespace leadwise
