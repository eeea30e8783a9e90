#include "direct-conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "sgemm.h"
#include "thread-pool.h"

namespace leadwise {
namespace {

template <int W>
struct VecOf;
template <>
struct VecOf<8> {
  typedef float type __attribute__((vector_size(32)));
};
template <>
struct VecOf<16> {
  typedef float type __attribute__((vector_size(64)));
};
template <int W>
using Vec = typename VecOf<W>::type;

template <int W>
inline __attribute__((always_inline)) Vec<W> load(const float* p) {
  Vec<W> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <int W>
inline __attribute__((always_inline)) void store(float* p, Vec<W> v) {
  std::memcpy(p, &v, sizeof v);
}

enum class Isa { kNone, kAvx2, kAvx512 };

// Follows the SGEMM's run-time choice, so LEADWISE_NATIVE_ISA caps both (generic: no direct path).
Isa isa() {
  static const Isa chosen = [] {
    const char* name = sgemmIsa();
    if (std::strcmp(name, "avx512") == 0) return Isa::kAvx512;
    if (std::strcmp(name, "avx2+fma") == 0) return Isa::kAvx2;
    return Isa::kNone;
  }();
  return chosen;
}

// Reads past a window row's end by up to one register block of rows (filter gradient).
constexpr int kSlackFloats = 32;

// One image [h, w, c] into a zero-padded [rows, cols, c] buffer whose element (py, px) is
// x(py - padTop, px - padLeft), then kSlackFloats zeros.
void padImage(const float* image, int h, int w, int c, int padTop, int padLeft, int rows, int cols, float* out) {
  const long rowFloats = static_cast<long>(cols) * c;
  for (int py = 0; py < rows; ++py) {
    float* dst = out + py * rowFloats;
    const int iy = py - padTop;
    if (iy < 0 || iy >= h) {
      std::memset(dst, 0, sizeof(float) * rowFloats);
      continue;
    }
    const int left = std::min(padLeft, cols);
    const int copied = std::max(0, std::min(w, cols - left));
    std::memset(dst, 0, sizeof(float) * left * c);
    std::memcpy(dst + static_cast<long>(left) * c, image + static_cast<long>(iy) * w * c, sizeof(float) * copied * c);
    const int done = left + copied;
    std::memset(dst + static_cast<long>(done) * c, 0, sizeof(float) * (cols - done) * c);
  }
  std::memset(out + rows * rowFloats, 0, sizeof(float) * kSlackFloats);
}

struct ForwardJob {
  const float* padded;  // this image, zero-padded
  long rowStride;       // floats per padded row
  const float* filter;
  const float* bias;
  float* y;  // this image's output
  const ConvShape* shape;
  Activation activation;
};

// A strip of R outputs of one output row by NV * W channels stays in registers while the whole
// window is summed: for each window row, x's kw * ci floats at a strip position and the filter's
// rows walk in step (both are (kx, c) ordered), so the filter row j meets x[r * PS + j].
// PS = stride * ci is a template argument: the R loads are then constant displacements.
template <int W, int NV, int R, int PS>
inline __attribute__((always_inline)) void forwardImage(const ForwardJob& job) {
  constexpr int kChannels = NV * W;
  const ConvShape& s = *job.shape;
  const int kwc = s.filterWidth * s.inChannels;
  const int co = s.outChannels;
  for (int oy = 0; oy < s.outHeight; ++oy) {
    for (int ox0 = 0; ox0 < s.outWidth; ox0 += R) {
      const int rows = std::min(R, s.outWidth - ox0);
      const float* strip = job.padded + static_cast<long>(oy) * s.strideHeight * job.rowStride + static_cast<long>(ox0) * PS;
      for (int o0 = 0; o0 < co; o0 += kChannels) {
        Vec<W> acc[R][NV];
#pragma GCC unroll 32
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[r][v] = Vec<W>{};
        for (int ky = 0; ky < s.filterHeight; ++ky) {
          const float* xr = strip + ky * job.rowStride;
          const float* wr = job.filter + static_cast<long>(ky) * kwc * co + o0;
          for (int j = 0; j < kwc; ++j) {
            Vec<W> wv[NV];
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) wv[v] = load<W>(wr + static_cast<long>(j) * co + v * W);
#pragma GCC unroll 32
            for (int r = 0; r < R; ++r) {
              const float a = xr[r * PS + j];
#pragma GCC unroll 4
              for (int v = 0; v < NV; ++v) acc[r][v] += wv[v] * a;
            }
          }
        }
        float* out = job.y + (static_cast<long>(oy) * s.outWidth + ox0) * co + o0;
#pragma GCC unroll 32
        for (int r = 0; r < R; ++r) {
          if (r >= rows) break;
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) {
            Vec<W> t = acc[r][v];
            if (job.bias != nullptr) t += load<W>(job.bias + o0 + v * W);
            if (job.activation == Activation::kRelu) t = t > Vec<W>{} ? t : Vec<W>{};
            store<W>(out + static_cast<long>(r) * co + v * W, t);
          }
        }
      }
    }
  }
}

template <int W, int NV, int R>
inline __attribute__((always_inline)) void forwardByStep(const ForwardJob& job, int step) {
  switch (step) {
    case 1: return forwardImage<W, NV, R, 1>(job);
    case 2: return forwardImage<W, NV, R, 2>(job);
    case 4: return forwardImage<W, NV, R, 4>(job);
    case 8: return forwardImage<W, NV, R, 8>(job);
    case 16: return forwardImage<W, NV, R, 16>(job);
    case 32: return forwardImage<W, NV, R, 32>(job);
    case 64: return forwardImage<W, NV, R, 64>(job);
    case 128: return forwardImage<W, NV, R, 128>(job);
  }
}

struct FilterJob {
  const float* padded;
  long rowStride;
  const float* dy;  // this image's output gradient
  float* dw;        // the task's partial [kh, kw * ci, co], added to
  const ConvShape* shape;
};

// R consecutive rows of dw (a block of one window row's (kx, c) entries) by NV * W channels stay in
// registers over every output position of the image: per position, NV loads of dy and R
// broadcasts of x, which sit at consecutive addresses of the padded row.
template <int W, int NV, int R>
inline __attribute__((always_inline)) void filterImage(const FilterJob& job) {
  constexpr int kChannels = NV * W;
  const ConvShape& s = *job.shape;
  const int kwc = s.filterWidth * s.inChannels;
  const int co = s.outChannels;
  const long step = static_cast<long>(s.strideWidth) * s.inChannels;
  for (int ky = 0; ky < s.filterHeight; ++ky) {
    for (int j0 = 0; j0 < kwc; j0 += R) {
      const int rows = std::min(R, kwc - j0);
      for (int o0 = 0; o0 < co; o0 += kChannels) {
        float* tile = job.dw + (static_cast<long>(ky) * kwc + j0) * co + o0;
        Vec<W> acc[R][NV];
#pragma GCC unroll 32
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[r][v] = r < rows ? load<W>(tile + static_cast<long>(r) * co + v * W) : Vec<W>{};
        for (int oy = 0; oy < s.outHeight; ++oy) {
          const float* xr = job.padded + (static_cast<long>(oy) * s.strideHeight + ky) * job.rowStride + j0;
          const float* g = job.dy + static_cast<long>(oy) * s.outWidth * co + o0;
          for (int ox = 0; ox < s.outWidth; ++ox) {
            Vec<W> gv[NV];
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) gv[v] = load<W>(g + static_cast<long>(ox) * co + v * W);
            const float* xq = xr + ox * step;
#pragma GCC unroll 32
            for (int r = 0; r < R; ++r) {
              const float a = xq[r];
#pragma GCC unroll 4
              for (int v = 0; v < NV; ++v) acc[r][v] += gv[v] * a;
            }
          }
        }
#pragma GCC unroll 32
        for (int r = 0; r < R; ++r) {
          if (r >= rows) break;
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) store<W>(tile + static_cast<long>(r) * co + v * W, acc[r][v]);
        }
      }
    }
  }
}

// The register block of dw rows that wastes the fewest padded rows on kw * ci; ties go to the
// larger block (fewer passes over dy).
int filterRowBlock(int kwc, int small, int middle, int large) {
  int best = large;
  long bestRows = static_cast<long>((kwc + large - 1) / large) * large;
  for (int r : {middle, small}) {
    const long padded = static_cast<long>((kwc + r - 1) / r) * r;
    if (padded < bestRows) {
      best = r;
      bestRows = padded;
    }
  }
  return best;
}

// filterImage with the register block of dw rows (Small, Middle or Large) that filterRowBlock picks.
template <int W, int NV, int Small, int Middle, int Large>
inline __attribute__((always_inline)) void filterByRowBlock(const FilterJob& job) {
  const int rows = filterRowBlock(job.shape->filterWidth * job.shape->inChannels, Small, Middle, Large);
  if (rows == Small)
    filterImage<W, NV, Small>(job);
  else if (rows == Middle)
    filterImage<W, NV, Middle>(job);
  else
    filterImage<W, NV, Large>(job);
}

#if defined(__x86_64__) || defined(__i386__)
#define LEADWISE_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define LEADWISE_AVX2 __attribute__((target("avx2,fma")))

// 32 vector registers: 24 outputs x 16 channels or 12 x 32, plus the filter row; 8 channels (DenseNet's
// growth rate at width 0.25) in 256-bit registers, 24, 12 or 6 outputs a strip as the map narrows.
LEADWISE_AVX512 void forwardImageAvx512(const ForwardJob& job, int step, int strip) {
  if (job.shape->outChannels % 32 == 0)
    forwardByStep<16, 2, 12>(job, step);
  else if (job.shape->outChannels % 16 == 0)
    forwardByStep<16, 1, 24>(job, step);
  else if (strip == 24)
    forwardByStep<8, 1, 24>(job, step);
  else if (strip == 12)
    forwardByStep<8, 1, 12>(job, step);
  else
    forwardByStep<8, 1, 6>(job, step);
}

// 16 registers: 6 outputs x 16 channels, or 12 x 8.
LEADWISE_AVX2 void forwardImageAvx2(const ForwardJob& job, int step) {
  if (job.shape->outChannels % 16 == 0)
    forwardByStep<8, 2, 6>(job, step);
  else
    forwardByStep<8, 1, 12>(job, step);
}

LEADWISE_AVX512 void filterImageAvx512(const FilterJob& job) {
  if (job.shape->outChannels % 32 == 0)
    filterByRowBlock<16, 2, 4, 8, 12>(job);
  else if (job.shape->outChannels % 16 == 0)
    filterByRowBlock<16, 1, 8, 16, 24>(job);
  else
    // 8 channels (DenseNet's growth rate at width 0.25) in 256-bit registers, which Zen 4 and later
    // cores issue two a cycle: the same FMAs a cycle as 512-bit ones.
    filterByRowBlock<8, 1, 8, 16, 24>(job);
}

// 16 registers: 2 x 8 channels by 2, 4 or 6 rows of dw; 8 channels by 4, 8 or 12 rows.
LEADWISE_AVX2 void filterImageAvx2(const FilterJob& job) {
  if (job.shape->outChannels % 16 == 0)
    filterByRowBlock<8, 2, 2, 4, 6>(job);
  else
    filterByRowBlock<8, 1, 4, 8, 12>(job);
}
#endif

bool hasWork(const ConvShape& s) {
  return s.batch > 0 && s.outHeight > 0 && s.outWidth > 0 && s.inHeight > 0 && s.inWidth > 0 && s.inChannels > 0 &&
         s.outChannels > 0 && s.filterHeight > 0 && s.filterWidth > 0;
}

bool isStepCovered(int step) { return step == 1 || step == 2 || step == 4 || step == 8 || step == 16 || step == 32 || step == 64 ||
                                     step == 128; }

// Padded rows and columns that every window of the output touches.
int paddedRows(const ConvShape& s) { return (s.outHeight - 1) * s.strideHeight + s.filterHeight; }

// Outputs per register strip of the forward kernel (see forwardImageAvx512 / forwardImageAvx2).
int stripLength(const ConvShape& s) {
  if (isa() == Isa::kAvx512) {
    if (s.outChannels % 32 == 0) return 12;
    if (s.outChannels % 16 == 0) return 24;
    return s.outWidth >= 24 ? 24 : s.outWidth >= 10 ? 12 : 6;
  }
  return s.outChannels % 16 == 0 ? 6 : 12;
}

// Narrow layers only: 8 output channels (half a 512-bit register) or a multiple of 16 up to 64.
// Wide layers stay on the GEMM: with 128 channels each strip streams a 147 KB filter block from L2,
// and a 4x5 map fills under half of a 12-output strip (ResNet18's last stage ran at 86 GFLOPS
// direct against 145 on the GEMM; with 64 channels and 8x10 maps direct was still faster).
bool forwardCovered(const ConvShape& s) {
  return isa() != Isa::kNone && hasWork(s) && (s.outChannels % 16 == 0 || s.outChannels == 8) && s.outChannels <= 64 &&
         2 * s.outWidth >= stripLength(s) && isStepCovered(s.strideWidth * s.inChannels) && s.padTop >= 0 &&
         s.padLeft >= 0;
}

// The forward pass on a given (already suitable) shape: each image padded by its own task.
void runForward(const float* x, const float* filter, const float* bias, float* y, const ConvShape& s,
                Activation activation) {
  const int strip = stripLength(s);
  const int strips = (s.outWidth + strip - 1) / strip;
  const int rows = paddedRows(s);
  const int cols = (strips * strip - 1) * s.strideWidth + s.filterWidth;
  const long rowStride = static_cast<long>(cols) * s.inChannels;
  const long imageIn = static_cast<long>(s.inHeight) * s.inWidth * s.inChannels;
  const long imageOut = static_cast<long>(s.outHeight) * s.outWidth * s.outChannels;
  const int step = s.strideWidth * s.inChannels;
  parallelFor(s.batch, [&](int b) {
    thread_local std::vector<float> padded;
    padded.resize(static_cast<size_t>(rows * rowStride + kSlackFloats));
    padImage(x + b * imageIn, s.inHeight, s.inWidth, s.inChannels, s.padTop, s.padLeft, rows, cols, padded.data());
    const ForwardJob job{padded.data(), rowStride, filter, bias, y + b * imageOut, &s, activation};
#if defined(__x86_64__) || defined(__i386__)
    if (isa() == Isa::kAvx512)
      forwardImageAvx512(job, step, strip);
    else
      forwardImageAvx2(job, step);
#else
    (void)job;
    (void)step;
#endif
  });
}

}  // namespace

bool directConvForward(const float* x, const float* filter, const float* bias, float* y, const ConvShape& s,
                       Activation activation) {
  if (!forwardCovered(s)) return false;
  runForward(x, filter, bias, y, s, activation);
  return true;
}

bool directConvBackpropInput(const float* dy, const float* filter, float* dx, const ConvShape& s) {
  // dx(iy, ix, c) = sum over (ky, kx, o) of dy(iy + padTop - ky, ix + padLeft - kx, o) W(ky, kx, c, o):
  // with ky' = kh - 1 - ky that is a stride-1 convolution of dy padded by kh - 1 - padTop.
  if (s.strideHeight != 1 || s.strideWidth != 1 || s.padTop > s.filterHeight - 1 || s.padLeft > s.filterWidth - 1)
    return false;
  const ConvShape t{s.batch,
                    s.outHeight,
                    s.outWidth,
                    s.outChannels,
                    s.inHeight,
                    s.inWidth,
                    s.inChannels,
                    s.filterHeight,
                    s.filterWidth,
                    1,
                    1,
                    s.filterHeight - 1 - s.padTop,
                    s.filterWidth - 1 - s.padLeft};
  if (!forwardCovered(t)) return false;
  const int kh = s.filterHeight, kw = s.filterWidth, ci = s.inChannels, co = s.outChannels;
  thread_local std::vector<float> flippedBuffer;
  float* flipped = scratch(flippedBuffer, static_cast<size_t>(kh) * kw * ci * co);
  for (int ky = 0; ky < kh; ++ky)
    for (int kx = 0; kx < kw; ++kx)
      for (int c = 0; c < ci; ++c)
        for (int o = 0; o < co; ++o)
          flipped[((static_cast<size_t>(kh - 1 - ky) * kw + (kw - 1 - kx)) * co + o) * ci + c] =
              filter[((static_cast<size_t>(ky) * kw + kx) * ci + c) * co + o];
  runForward(dy, flipped, nullptr, dx, t, Activation::kLinear);
  return true;
}

bool directConvBackpropFilter(const float* x, const float* dy, float* dw, const ConvShape& s) {
  if (isa() == Isa::kNone || !hasWork(s) || (s.outChannels % 16 != 0 && s.outChannels != 8) || s.padTop < 0 ||
      s.padLeft < 0)
    return false;
  const int rows = paddedRows(s);
  const int cols = (s.outWidth - 1) * s.strideWidth + s.filterWidth;
  const long rowStride = static_cast<long>(cols) * s.inChannels;
  const long imageIn = static_cast<long>(s.inHeight) * s.inWidth * s.inChannels;
  const long imageOut = static_cast<long>(s.outHeight) * s.outWidth * s.outChannels;
  const long size = static_cast<long>(s.filterHeight) * s.filterWidth * s.inChannels * s.outChannels;
  const int tasks = std::max(1, std::min(kFilterGradientTasks, s.batch));
  thread_local std::vector<float> partialBuffer;
  float* partials = scratch(partialBuffer, static_cast<size_t>(tasks - 1) * size);
  parallelFor(tasks, [&](int task) {
    float* out = task == 0 ? dw : partials + static_cast<size_t>(task - 1) * size;
    std::fill(out, out + size, 0.0f);
    thread_local std::vector<float> padded;
    padded.resize(static_cast<size_t>(rows * rowStride + kSlackFloats));
    const int first = static_cast<int>(static_cast<long>(s.batch) * task / tasks);
    const int end = static_cast<int>(static_cast<long>(s.batch) * (task + 1) / tasks);
    for (int b = first; b < end; ++b) {
      padImage(x + b * imageIn, s.inHeight, s.inWidth, s.inChannels, s.padTop, s.padLeft, rows, cols, padded.data());
      const FilterJob job{padded.data(), rowStride, dy + b * imageOut, out, &s};
#if defined(__x86_64__) || defined(__i386__)
      if (isa() == Isa::kAvx512)
        filterImageAvx512(job);
      else
        filterImageAvx2(job);
#else
      (void)job;
#endif
    }
  });
  addPartials(dw, partials, tasks - 1, size);
  return true;
}

}  // namespace leadwise
