// Training kernels on NHWC float32 tensors, reading and writing the caller's memory in place
// (the tfjs-wasm heap). Filters are [kh, kw, ci, co] as in tfjs. Dilation is 1. Each function
// first offers the shape to the direct kernels (direct-conv.h) and runs im2col + SGEMM otherwise.
#pragma once

#include <cstddef>
#include <vector>

namespace leadwise {

struct ConvShape {
  int batch, inHeight, inWidth, inChannels;
  int outHeight, outWidth, outChannels;
  int filterHeight, filterWidth;
  int strideHeight, strideWidth;
  int padTop, padLeft;
};

// dw = im2col(x)^T dy: a sum over every output position, split into kFilterGradientTasks tasks by
// position with one partial dw per task, summed in task order: the same bits on any thread count.
void conv2dBackpropFilter(const float* x, const float* dy, float* dw, const ConvShape& shape);

// Filter gradients are sums over the whole batch; this many tasks (fewer for tiny inputs), fixed,
// so that their bits do not depend on the thread count, and enough that threads claiming them
// balance when one starts late.
constexpr int kFilterGradientTasks = 8;

// Scratch memory for one call of a kernel on the calling thread: `buffer` (a thread_local of the
// call site) grows to `floats` and is kept, contents unspecified. Per-call vectors of megabytes went
// back to the C library after every call, and a thread other than the main one (the kernel queue's
// dispatcher) gets them from an arena that returns freed memory to the system, so every call
// faulted its pages in again (5,000 page faults a VGG16 step).
inline float* scratch(std::vector<float>& buffer, size_t floats) {
  if (buffer.size() < floats) buffer.resize(floats);
  return buffer.data();
}

// out[e] += partials[p * size + e] for p = 0, 1, ..., count - 1 in that order, split over threads
// by element (every element summed by one thread in task order).
void addPartials(float* out, const float* partials, int count, long size);

// dx = col2im(dy W^T): each image is one task, so every dx element is summed by one thread in a
// fixed order whatever the thread count.
void conv2dBackpropInput(const float* dy, const float* filter, float* dx, const ConvShape& shape);

enum class Activation { kLinear = 0, kRelu = 1 };

// y = activation(im2col(x) W + bias), bias optional (null). Output positions are split across
// threads in fixed blocks, each element computed by one thread: results do not depend on threads.
void conv2dForward(const float* x, const float* filter, const float* bias, float* y, const ConvShape& shape,
                   Activation activation);

struct PoolShape {
  int batch, inHeight, inWidth, channels;
  int outHeight, outWidth;
  int filterHeight, filterWidth;
  int strideHeight, strideWidth;
  int padTop, padLeft;
};

// y = the maximum of x over each window's in-bounds positions, compared as maxPoolGrad does (a
// position wins only where it is greater, so a NaN at a window's first position stays); -inf for a
// window with no position in bounds, as tfjs's cpu backend. Max is exact: the same bits as tfjs-wasm's
// XNNPACK kernel for every input without NaN.
void maxPool(const float* x, float* y, const PoolShape& shape);

// Average pooling over windows that lie inside the image (no padding) with at most 9 positions, the
// same bits as XNNPACK's 9-input kernel (tfjs-wasm's AvgPool): the window's positions taken column by
// column, missing ones as zeros, summed as ((p2 + p3) + (p4 + p5)) + (((p0 + p1) + p8) + (p6 + p7)),
// times 1 / positions.
void avgPool(const float* x, float* y, const PoolShape& shape);
// Its gradient where windows do not overlap (stride = window): dx = dy * (1 / positions) at each
// window's positions, 0 elsewhere.
void avgPoolGrad(const float* dy, float* dx, const PoolShape& shape);

// Each window's dy goes to the first (row-major) position holding the window's maximum of x, with
// the same comparisons, NaN behaviour included, as Leadwise's wasm kernel (max-pool-grad.ts).
void maxPoolGrad(const float* x, const float* dy, float* dx, const PoolShape& shape);

// c[p] = op(a[p]) op(b[p]) for p < batch, with op a transpose where asked: a[p] is [m, k] ([k, m]
// transposed), b[p] is [k, n] ([n, k] transposed), c[p] is [m, n]. batchA / batchB are 1 (the same
// matrix for every p) or batch. Output blocks are split across threads, each element computed by
// one thread over the whole k: results do not depend on the thread count.
void batchMatMul(const float* a, const float* b, float* c, int batch, int batchA, int batchB, int m, int n, int k,
                 bool transposeA, bool transposeB);

}  // namespace leadwise
