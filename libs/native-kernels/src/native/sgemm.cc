#include "sgemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace leadwise {
namespace {

// Cache blocking: a packed B block (kKc x nc) stays in L2 while the packed A panels (kKc x mr)
// stream through L1; kKc * kMcPanels * mr floats of A fit in L2 beside it.
constexpr int kKc = 256;
constexpr int kMcPanels = 8;
constexpr int kNc = 2048;

// GCC drops vector_size on an alias template with a dependent size (leaving plain float), so each
// width is spelled out.
template <int W>
struct VecOf;
template <>
struct VecOf<4> {
  typedef float type __attribute__((vector_size(16)));
};
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
static_assert(sizeof(Vec<16>) == 64, "vector type lost its width");

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

// A packed A panel holds mr rows, column after column: a[p * mr + i]; rows past m are zero.
template <int MR>
inline __attribute__((always_inline)) void packA(int rows, int depth, const float* a, std::ptrdiff_t rs,
                                                 std::ptrdiff_t cs, float* out) {
  if (rs == 1) {
    for (int p = 0; p < depth; ++p) {
      const float* col = a + p * cs;
      int i = 0;
      for (; i < rows; ++i) out[p * MR + i] = col[i];
      for (; i < MR; ++i) out[p * MR + i] = 0.0f;
    }
    return;
  }
  for (int p = 0; p < depth; ++p) {
    for (int i = 0; i < MR; ++i) out[p * MR + i] = i < rows ? a[i * rs + p * cs] : 0.0f;
  }
}

// A packed B panel holds nr columns, row after row: b[p * nr + j]; columns past n are zero.
template <int NR>
inline __attribute__((always_inline)) void packB(int cols, int depth, const float* b, std::ptrdiff_t rs,
                                                 std::ptrdiff_t cs, float* out) {
  if (cs == 1 && cols == NR) {
    for (int p = 0; p < depth; ++p) std::memcpy(out + p * NR, b + p * rs, NR * sizeof(float));
    return;
  }
  for (int p = 0; p < depth; ++p) {
    for (int j = 0; j < NR; ++j) out[p * NR + j] = j < cols ? b[p * rs + j * cs] : 0.0f;
  }
}

// The register-blocked microkernel: an MR x (NV * W) tile of C in registers, one broadcast of A
// and NV vector loads of B per step of the reduction; -ffp-contract=fast makes each a * b + c an FMA
// where the target has one.
template <int MR, int NV, int W>
inline __attribute__((always_inline)) void microkernel(int depth, const float* a, const float* b, float* tile) {
  Vec<W> acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[i][v] = Vec<W>{} ;
  for (int p = 0; p < depth; ++p) {
    Vec<W> bv[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) bv[v] = load<W>(b + p * NV * W + v * W);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const float ai = a[p * MR + i];
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] += bv[v] * ai;
    }
  }
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) store<W>(tile + i * NV * W + v * W, acc[i][v]);
}

template <int MR, int NV, int W>
inline __attribute__((always_inline)) void gemmBlocked(int m, int n, int k, MatrixView a, MatrixView b, OutputView c,
                                                       bool accumulate) {
  constexpr int NR = NV * W;
  constexpr int MC = MR * kMcPanels;
  thread_local std::vector<float> packedA;
  thread_local std::vector<float> packedB;
  float tile[MR * NR];
  packedA.resize(static_cast<size_t>(MC) * kKc);
  packedB.resize(static_cast<size_t>((std::min(n, kNc) + NR - 1) / NR) * NR * kKc);
  for (int jc = 0; jc < n; jc += kNc) {
    const int nc = std::min(kNc, n - jc);
    for (int pc = 0; pc < k; pc += kKc) {
      const int kc = std::min(kKc, k - pc);
      const bool add = accumulate || pc > 0;
      for (int jr = 0; jr < nc; jr += NR) {
        packB<NR>(std::min(NR, nc - jr), kc, b.data + pc * b.rowStride + (jc + jr) * b.colStride, b.rowStride,
                  b.colStride, packedB.data() + static_cast<size_t>(jr / NR) * NR * kc);
      }
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = std::min(MC, m - ic);
        for (int ir = 0; ir < mc; ir += MR) {
          packA<MR>(std::min(MR, mc - ir), kc, a.data + (ic + ir) * a.rowStride + pc * a.colStride, a.rowStride,
                    a.colStride, packedA.data() + static_cast<size_t>(ir / MR) * MR * kc);
        }
        for (int jr = 0; jr < nc; jr += NR) {
          const int cols = std::min(NR, nc - jr);
          const float* bp = packedB.data() + static_cast<size_t>(jr / NR) * NR * kc;
          for (int ir = 0; ir < mc; ir += MR) {
            const int rows = std::min(MR, mc - ir);
            microkernel<MR, NV, W>(kc, packedA.data() + static_cast<size_t>(ir / MR) * MR * kc, bp, tile);
            float* out = c.data + (ic + ir) * c.rowStride + (jc + jr) * c.colStride;
            if (c.colStride == 1 && cols == NR) {
              for (int i = 0; i < rows; ++i) {
                float* row = out + i * c.rowStride;
                const float* t = tile + i * NR;
                if (add) {
                  for (int j = 0; j < NR; ++j) row[j] += t[j];
                } else {
                  std::memcpy(row, t, NR * sizeof(float));
                }
              }
            } else {
              for (int i = 0; i < rows; ++i) {
                for (int j = 0; j < cols; ++j) {
                  float& dst = out[i * c.rowStride + j * c.colStride];
                  dst = add ? dst + tile[i * NR + j] : tile[i * NR + j];
                }
              }
            }
          }
        }
      }
    }
  }
}

using GemmFn = void (*)(int, int, int, MatrixView, MatrixView, OutputView, bool);

struct Kernel {
  GemmFn gemm;
  int rows;
  int cols;
  const char* isa;
};

// Each variant is the same template compiled for one instruction set, so that one binary runs on
// any x86-64 and uses the widest FMA units the CPU has (the addon is never built with -march=native).
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void gemmAvx512(int m, int n, int k, MatrixView a, MatrixView b,
                                                                    OutputView c, bool accumulate) {
  gemmBlocked<12, 2, 16>(m, n, k, a, b, c, accumulate);
}

__attribute__((target("avx2,fma"))) void gemmAvx2(int m, int n, int k, MatrixView a, MatrixView b, OutputView c,
                                                  bool accumulate) {
  gemmBlocked<6, 2, 8>(m, n, k, a, b, c, accumulate);
}
#endif

void gemmGeneric(int m, int n, int k, MatrixView a, MatrixView b, OutputView c, bool accumulate) {
  gemmBlocked<6, 2, 4>(m, n, k, a, b, c, accumulate);
}

// LEADWISE_NATIVE_ISA=avx2 or =generic caps the choice, so that the narrower paths can be tested
// (and timed) on a machine that has AVX-512.
Kernel chooseKernel() {
  const char* cap = std::getenv("LEADWISE_NATIVE_ISA");
  const std::string limit = cap ? cap : "";
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (limit.empty() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl"))
    return {gemmAvx512, 12, 32, "avx512"};
  if (limit != "generic" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {gemmAvx2, 6, 16, "avx2+fma"};
#endif
  (void)limit;
  return {gemmGeneric, 6, 8, "generic"};
}

const Kernel& kernel() {
  static const Kernel chosen = chooseKernel();
  return chosen;
}

}  // namespace

void sgemm(int m, int n, int k, MatrixView a, MatrixView b, OutputView c, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) {
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) c.data[i * c.rowStride + j * c.colStride] = 0.0f;
    }
    return;
  }
  kernel().gemm(m, n, k, a, b, c, accumulate);
}

int sgemmTileRows() { return kernel().rows; }
int sgemmTileCols() { return kernel().cols; }
const char* sgemmIsa() { return kernel().isa; }

}  // namespace leadwise
