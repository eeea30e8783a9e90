// Batch normalisation in training mode over [rows, channels] (NHWC with the batch and spatial axes
// flattened into rows), statistics per channel, in place on the caller's memory.
#pragma once

namespace leadwise {

// mean and variance (biased, as tf.moments) of x per channel, then
// y = (x - mean) * gamma / sqrt(variance + epsilon) + beta.
void batchNormTrainForward(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                           float* variance, long rows, int channels, float epsilon);

// Gradients of that forward with respect to x, gamma and beta given dy (and, optional, the
// gradients dmean / dvariance reaching the statistics outputs; null when they reach nothing).
void batchNormTrainBackward(const float* x, const float* dy, const float* gamma, const float* mean,
                            const float* variance, const float* dmean, const float* dvariance, float* dx,
                            float* dgamma, float* dbeta, long rows, int channels, float epsilon);

// dx = dy * step(x), step(x) = 1 for x > 0, NaN for NaN, else 0: tfjs-core's ReLU gradient, bit for bit.
void reluGrad(const float* dy, const float* y, float* dx, long size);

}  // namespace leadwise
