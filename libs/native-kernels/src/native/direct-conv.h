// Direct convolutions for narrow layers (16 or 32 channels on the vector side), with no im2col
// buffer and no GEMM packing: each image is copied once into a zero-padded buffer, where one row of
// a filter window (kw * ci floats) is contiguous, exactly like one row block of the filter. With 16
// output channels the SGEMM's 32-wide AVX-512 register tile is half empty, and for small K packing
// costs as much as the FMAs; these kernels keep a whole strip of outputs in registers instead.
// Each function returns false (having done nothing) where the shape or the CPU is not covered.
#pragma once

#include "conv-kernels.h"

namespace leadwise {

// y = activation(conv(x, filter) + bias): 8, 16, 32, 48 or 64 output channels, output rows at least
// half a register strip wide, stride * inChannels a power of two up to 128.
// Images are split across threads; every output is computed by one thread (no thread dependence).
bool directConvForward(const float* x, const float* filter, const float* bias, float* y, const ConvShape& shape,
                       Activation activation);

// dw = sum over positions of x-window (x) dy: output channels 8 or a multiple of 16. Images are split
// into kFilterGradientTasks tasks, one partial dw per task, summed in task order (the same bits on
// any thread count).
bool directConvBackpropFilter(const float* x, const float* dy, float* dw, const ConvShape& shape);

// Stride 1 only: dx is the forward convolution of dy with the filter flipped in space and its
// channel axes swapped (the forward's conditions with input and output swapped). No thread dependence.
bool directConvBackpropInput(const float* dy, const float* filter, float* dx, const ConvShape& shape);

}  // namespace leadwise
