// Element-wise training kernels. Batch normalisation in training mode over [rows, channels] (NHWC with the batch and spatial axes
// flattened into rows), statistics per channel, in place on the caller's memory.
#pragma once

namespace leadwise {

// mean and variance (biased, as tf.moments) of x per channel, then
// y = (x - mean) * gamma / sqrt(variance + epsilon) + beta; with relu, y = relu(that) as the relu
// kernel below computes it from the stored value (the same bits as the two kernels in turn).
void batchNormTrainForward(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                           float* variance, long rows, int channels, float epsilon, bool relu = false);

// Gradients of that forward with respect to x, gamma and beta given dy (and, optional, the
// gradients dmean / dvariance reaching the statistics outputs; null when they reach nothing).
// reluOut: the forward's output when it ran with relu (else null); dy is then the gradient of that
// output, and the batch norm's own is dy * step(reluOut) as reluGrad gives it (the same bits as
// reluGrad and this kernel in turn).
void batchNormTrainBackward(const float* x, const float* dy, const float* gamma, const float* mean,
                            const float* variance, const float* dmean, const float* dvariance, float* dx,
                            float* dgamma, float* dbeta, long rows, int channels, float epsilon,
                            const float* reluOut = nullptr);

// dx = dy * step(x), step(x) = 1 for x > 0, NaN for NaN, else 0: tfjs-core's ReLU gradient, bit for bit.
void reluGrad(const float* dy, const float* y, float* dx, long size);

// y = max(x, 0) as tfjs-wasm's ReLU (XNNPACK's clamp): +0 for -0 and for NaN.
void relu(const float* x, float* y, long size);

// out = a + b, same shapes.
void add(const float* a, const float* b, float* out, long size);

// LeadGroupECG's masked max pooling (lead-group-layers.ts LeadMaxPooling): for x [B, K, C] (K cells)
// and penalty [B, L, K], out[b, l, c] = max_k (x[b, k, c] + penalty[b, l, k]) and winner[b, l, c]
// the first k reaching it, as tfjs's Add, Max and ArgMax over the cells give them.
void maskedMaxPool(const float* x, const float* penalty, float* out, int* winner, int batch, int cells, int channels,
                   int leads);

// Its gradient: dx[b, k, c] = the sum of dy[b, l, c] over the leads l whose winner is k, added in
// lead order (as tfjs's ScatterNd adds them).
void maskedMaxPoolGrad(const float* dy, const int* winner, float* dx, int batch, int cells, int channels, int leads);

// out = v - (v - x) * decay, each operation rounded to float32 (tfjs-layers' Sub, Mul, Sub).
void movingAverage(const float* v, const float* x, float* out, long size, float decay);

}  // namespace leadwise

namespace leadwise {

// One Adam step on one variable, each operation rounded to float32 in tfjs's order:
//   m' = m b1 + g (1 - b1),  v' = v b2 + g^2 (1 - b2),
//   value' = (m' / (1 - acc1)) / (sqrt(v' / (1 - acc2)) + eps) * -lr + value.
// oneMinusBeta1/2 and negLearningRate come rounded to float32 as tfjs's scalars are.
void adamUpdate(const float* value, const float* m, const float* v, const float* gradient, float* newValue,
                float* newM, float* newV, long size, float beta1, float oneMinusBeta1, float beta2,
                float oneMinusBeta2, float oneMinusAcc1, float oneMinusAcc2, float epsilon, float negLearningRate);

}  // namespace leadwise

namespace leadwise {

// Concatenation along the last axis of row-major tensors with `rows` rows: part i has widths[i]
// columns. concatColumns writes parts side by side into out; splitColumns is its inverse.
void concatColumns(const float* const* parts, const int* widths, int count, float* out, long rows);
void splitColumns(const float* in, float* const* parts, const int* widths, int count, long rows);

}  // namespace leadwise
