// N-API surface of the native kernels. Every tensor argument is a Float32Array view, normally of
// the tfjs-wasm heap; the kernels read and write through its pointer, so nothing is copied.
#include <node_api.h>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "elementwise.h"
#include "conv-kernels.h"
#include "sgemm.h"
#include "kernel-queue.h"
#include "thread-pool.h"

namespace {

using leadwise::ConvShape;
using leadwise::PoolShape;

struct Floats {
  float* data;
  size_t length;
};

bool fail(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return false;
}

bool getFloats(napi_env env, napi_value value, const char* what, Floats* out) {
  bool isTyped = false;
  napi_is_typedarray(env, value, &isTyped);
  if (!isTyped) return fail(env, std::string(what) + " must be a Float32Array");
  napi_typedarray_type type;
  void* data = nullptr;
  napi_get_typedarray_info(env, value, &type, &out->length, &data, nullptr, nullptr);
  if (type != napi_float32_array) return fail(env, std::string(what) + " must be a Float32Array");
  out->data = static_cast<float*>(data);
  return true;
}

// An Int32Array argument: its data and length.
bool getInt32s(napi_env env, napi_value value, const char* what, int** data, size_t* length) {
  bool isTyped = false;
  napi_is_typedarray(env, value, &isTyped);
  napi_typedarray_type type;
  void* raw = nullptr;
  if (isTyped) napi_get_typedarray_info(env, value, &type, length, &raw, nullptr, nullptr);
  if (!isTyped || type != napi_int32_array) return fail(env, std::string(what) + " must be an Int32Array");
  *data = static_cast<int*>(raw);
  return true;
}

// A shape: an Int32Array of `count` sizes, copied out.
bool getInts(napi_env env, napi_value value, size_t count, int* out) {
  int* values = nullptr;
  size_t length = 0;
  napi_value pending;
  if (!getInt32s(env, value, "shape", &values, &length) || length != count) {
    // One message for both (a wrong type or a wrong length), as before.
    napi_get_and_clear_last_exception(env, &pending);
    return fail(env, "shape must be an Int32Array of " + std::to_string(count) + " values");
  }
  for (size_t i = 0; i < count; ++i) {
    if (values[i] < 0 && i < count - 2) return fail(env, "shape sizes must not be negative");
    out[i] = values[i];
  }
  return true;
}

bool checkLength(napi_env env, const Floats& f, size_t expected, const char* what) {
  if (f.length == expected) return true;
  return fail(env, std::string(what) + " has " + std::to_string(f.length) + " floats, the shape needs " +
                       std::to_string(expected));
}

// The one boolean argument of a setter; false (after throwing `message`) when there is none.
bool getBoolArg(napi_env env, napi_callback_info info, const char* message, bool* out) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 1 || napi_get_value_bool(env, argv[0], out) != napi_ok) return fail(env, message);
  return true;
}

// Per JS thread (each worker_threads isolate loads its own instance): its kernel queue, if queued.
struct Instance {
  std::unique_ptr<leadwise::KernelQueue> queue;
  // setRunNow: kernel calls run at once on this thread even while it has a queue.
  bool runNow = false;
};

Instance* instanceOf(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<Instance*>(data);
}

// For benchmarks (setKernelProfile): calls and nanoseconds per kernel name, over every thread's
// kernels, direct or queued, counted from the kernel's start to its end on the thread that runs it.
struct KernelTimes {
  uint64_t calls = 0;
  uint64_t ns = 0;
};
std::atomic<bool> profiling{false};
std::mutex profileMutex;
std::map<std::string, KernelTimes> profile;  // guarded by profileMutex

std::function<void()> timed(const char* name, std::function<void()> kernel) {
  return [name, kernel = std::move(kernel)] {
    const auto start = std::chrono::steady_clock::now();
    kernel();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard<std::mutex> lock(profileMutex);
    KernelTimes& times = profile[name];
    times.calls += 1;
    times.ns += static_cast<uint64_t>(ns);
  };
}

// Runs a validated kernel now, or queues it (setQueued) and returns its ticket. A kernel holds raw
// pointers into memory JavaScript keeps alive until the kernel has run (see kernel-queue.ts).
napi_value dispatch(napi_env env, const char* name, std::function<void()> kernel) {
  if (profiling.load(std::memory_order_relaxed)) kernel = timed(name, std::move(kernel));
  Instance* instance = instanceOf(env);
  if (instance == nullptr || !instance->queue || instance->runNow) {
    kernel();
    return nullptr;
  }
  napi_value ticket;
  napi_create_double(env, static_cast<double>(instance->queue->submit(std::move(kernel))), &ticket);
  return ticket;
}

size_t sizeOf(long a, long b, long c, long d) { return static_cast<size_t>(a * b * c * d); }

// (a, b, out, shape) with shape = batch, inHeight, inWidth, inChannels, outHeight, outWidth,
// outChannels, filterHeight, filterWidth, strideHeight, strideWidth, padTop, padLeft.
bool convArgs(napi_env env, napi_callback_info info, Floats* tensors, ConvShape* shape) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 4) return fail(env, "expected 3 Float32Arrays and a shape");
  int v[13];
  if (!getInts(env, argv[3], 13, v)) return false;
  *shape = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12]};
  if (shape->strideHeight < 1 || shape->strideWidth < 1) return fail(env, "strides must be at least 1");
  const char* names[3] = {"first tensor", "second tensor", "output"};
  for (int i = 0; i < 3; ++i)
    if (!getFloats(env, argv[i], names[i], &tensors[i])) return false;
  return true;
}

napi_value conv2dBackpropFilter(napi_env env, napi_callback_info info) {
  Floats t[3];
  ConvShape s;
  if (!convArgs(env, info, t, &s)) return nullptr;
  if (!checkLength(env, t[0], sizeOf(s.batch, s.inHeight, s.inWidth, s.inChannels), "x") ||
      !checkLength(env, t[1], sizeOf(s.batch, s.outHeight, s.outWidth, s.outChannels), "dy") ||
      !checkLength(env, t[2], sizeOf(s.filterHeight, s.filterWidth, s.inChannels, s.outChannels), "dw"))
    return nullptr;
  float *x = t[0].data, *dy = t[1].data, *dw = t[2].data;
  return dispatch(env, "conv2dBackpropFilter", [=] { leadwise::conv2dBackpropFilter(x, dy, dw, s); });
}

napi_value conv2dBackpropInput(napi_env env, napi_callback_info info) {
  Floats t[3];
  ConvShape s;
  if (!convArgs(env, info, t, &s)) return nullptr;
  if (!checkLength(env, t[0], sizeOf(s.batch, s.outHeight, s.outWidth, s.outChannels), "dy") ||
      !checkLength(env, t[1], sizeOf(s.filterHeight, s.filterWidth, s.inChannels, s.outChannels), "filter") ||
      !checkLength(env, t[2], sizeOf(s.batch, s.inHeight, s.inWidth, s.inChannels), "dx"))
    return nullptr;
  float *dy = t[0].data, *filter = t[1].data, *dx = t[2].data;
  return dispatch(env, "conv2dBackpropInput", [=] { leadwise::conv2dBackpropInput(dy, filter, dx, s); });
}

// (x, filter, bias or null, y, shape, activation) with activation 0 = linear, 1 = relu.
napi_value conv2d(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 6) return fail(env, "expected x, filter, bias (or null), y, shape and activation"), nullptr;
  int v[13];
  if (!getInts(env, argv[4], 13, v)) return nullptr;
  const ConvShape s{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12]};
  if (s.strideHeight < 1 || s.strideWidth < 1) return fail(env, "strides must be at least 1"), nullptr;
  Floats x, filter, y, bias{nullptr, 0};
  napi_valuetype biasType;
  napi_typeof(env, argv[2], &biasType);
  if (!getFloats(env, argv[0], "x", &x) || !getFloats(env, argv[1], "filter", &filter) ||
      !getFloats(env, argv[3], "y", &y) || (biasType != napi_null && !getFloats(env, argv[2], "bias", &bias)))
    return nullptr;
  int activation = 0;
  if (napi_get_value_int32(env, argv[5], &activation) != napi_ok || activation < 0 || activation > 1)
    return fail(env, "activation must be 0 (linear) or 1 (relu)"), nullptr;
  if (!checkLength(env, x, sizeOf(s.batch, s.inHeight, s.inWidth, s.inChannels), "x") ||
      !checkLength(env, filter, sizeOf(s.filterHeight, s.filterWidth, s.inChannels, s.outChannels), "filter") ||
      !checkLength(env, y, sizeOf(s.batch, s.outHeight, s.outWidth, s.outChannels), "y") ||
      (bias.data != nullptr && !checkLength(env, bias, static_cast<size_t>(s.outChannels), "bias")))
    return nullptr;
  const auto act = static_cast<leadwise::Activation>(activation);
  float *xd = x.data, *fd = filter.data, *bd = bias.data, *yd = y.data;
  return dispatch(env, "conv2d", [=] { leadwise::conv2dForward(xd, fd, bd, yd, s, act); });
}

// Reads a pool shape (the 12 ints of maxPoolGrad) from a JS Int32Array.
bool getPoolShape(napi_env env, napi_value value, PoolShape* out) {
  int v[12];
  if (!getInts(env, value, 12, v)) return false;
  *out = PoolShape{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]};
  return true;
}

// (x, dy, dx, shape) with shape = batch, inHeight, inWidth, channels, outHeight, outWidth,
// filterHeight, filterWidth, strideHeight, strideWidth, padTop, padLeft.
napi_value maxPoolGrad(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 4) return fail(env, "expected x, dy, dx and a shape"), nullptr;
  PoolShape s;
  if (!getPoolShape(env, argv[3], &s)) return nullptr;
  Floats x, dy, dx;
  if (!getFloats(env, argv[0], "x", &x) || !getFloats(env, argv[1], "dy", &dy) || !getFloats(env, argv[2], "dx", &dx))
    return nullptr;
  if (!checkLength(env, x, sizeOf(s.batch, s.inHeight, s.inWidth, s.channels), "x") ||
      !checkLength(env, dy, sizeOf(s.batch, s.outHeight, s.outWidth, s.channels), "dy") ||
      !checkLength(env, dx, x.length, "dx"))
    return nullptr;
  float *xd = x.data, *dyd = dy.data, *dxd = dx.data;
  return dispatch(env, "maxPoolGrad", [=] { leadwise::maxPoolGrad(xd, dyd, dxd, s); });
}

// The average pooling kernels cover windows inside the image with at most 9 positions (and, for the
// gradient, windows that do not overlap); anything else is the caller's (tfjs-wasm's) to run.
bool checkAvgPoolShape(napi_env env, const PoolShape& s, bool gradient) {
  const bool inside = s.padTop == 0 && s.padLeft == 0 && s.filterHeight > 0 && s.filterWidth > 0 && s.strideHeight > 0 &&
                      s.strideWidth > 0 && (s.outHeight - 1) * s.strideHeight + s.filterHeight <= s.inHeight &&
                      (s.outWidth - 1) * s.strideWidth + s.filterWidth <= s.inWidth;
  const bool small = s.filterHeight * s.filterWidth <= 9;
  const bool disjoint = s.strideHeight >= s.filterHeight && s.strideWidth >= s.filterWidth;
  if (inside && small && (!gradient || disjoint)) return true;
  fail(env, "average pooling needs windows inside the image, of at most 9 positions (and not overlapping, for the gradient)");
  return false;
}

// A pooling kernel of one input and one output, called as (in, out, shape) with the shape of
// maxPoolGrad: forward kernels read the image and write the pooled map, gradients the other way
// round. `averaging`: the shape must pass checkAvgPoolShape.
using PoolKernel = void (*)(const float*, float*, const PoolShape&);
napi_value poolCall(napi_env env, napi_callback_info info, const char* kernelName, const char* inName, const char* outName,
                    bool gradient, bool averaging, PoolKernel kernel) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 3) return fail(env, std::string("expected ") + inName + ", " + outName + " and a shape"), nullptr;
  PoolShape s;
  if (!getPoolShape(env, argv[2], &s) || (averaging && !checkAvgPoolShape(env, s, gradient))) return nullptr;
  Floats in, out;
  if (!getFloats(env, argv[0], inName, &in) || !getFloats(env, argv[1], outName, &out)) return nullptr;
  const size_t image = sizeOf(s.batch, s.inHeight, s.inWidth, s.channels);
  const size_t pooled = sizeOf(s.batch, s.outHeight, s.outWidth, s.channels);
  if (!checkLength(env, in, gradient ? pooled : image, inName) || !checkLength(env, out, gradient ? image : pooled, outName))
    return nullptr;
  float *ind = in.data, *outd = out.data;
  return dispatch(env, kernelName, [=] { kernel(ind, outd, s); });
}

napi_value avgPool(napi_env env, napi_callback_info info) { return poolCall(env, info, "avgPool", "x", "y", false, true, leadwise::avgPool); }

napi_value avgPoolGrad(napi_env env, napi_callback_info info) {
  return poolCall(env, info, "avgPoolGrad", "dy", "dx", true, true, leadwise::avgPoolGrad);
}

napi_value maxPool(napi_env env, napi_callback_info info) { return poolCall(env, info, "maxPool", "x", "y", false, false, leadwise::maxPool); }

bool getOptionalFloats(napi_env env, napi_value value, const char* what, Floats* out) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type == napi_null || type == napi_undefined) {
    *out = {nullptr, 0};
    return true;
  }
  return getFloats(env, value, what, out);
}

// (x, gamma, beta, y, mean, variance, channels, epsilon[, relu]): x and y [rows, channels], the rest
// [channels]; relu true: y = relu(normalised x), the ReLU after the layer fused into its last pass.
napi_value batchNormTrainForward(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 8 && argc != 9) return fail(env, "expected x, gamma, beta, y, mean, variance, channels, epsilon and relu"), nullptr;
  bool relu = false;
  if (argc == 9 && napi_get_value_bool(env, argv[8], &relu) != napi_ok) return fail(env, "relu must be true or false"), nullptr;
  Floats t[6];
  const char* names[6] = {"x", "gamma", "beta", "y", "mean", "variance"};
  for (int i = 0; i < 6; ++i)
    if (!getFloats(env, argv[i], names[i], &t[i])) return nullptr;
  int channels = 0;
  double epsilon = 0;
  if (napi_get_value_int32(env, argv[6], &channels) != napi_ok || channels < 1 ||
      napi_get_value_double(env, argv[7], &epsilon) != napi_ok)
    return fail(env, "channels must be a positive whole number and epsilon a number"), nullptr;
  if (t[0].length % channels != 0) return fail(env, "x is not a whole number of rows of channels"), nullptr;
  if (!checkLength(env, t[3], t[0].length, "y")) return nullptr;
  for (int i : {1, 2, 4, 5})
    if (!checkLength(env, t[i], static_cast<size_t>(channels), names[i])) return nullptr;
  float* p[6];
  for (int i = 0; i < 6; ++i) p[i] = t[i].data;
  const long rows = static_cast<long>(t[0].length / channels);
  const float eps = static_cast<float>(epsilon);
  return dispatch(env, relu ? "batchNormReluTrainForward" : "batchNormTrainForward",
                  [=] { leadwise::batchNormTrainForward(p[0], p[1], p[2], p[3], p[4], p[5], rows, channels, eps, relu); });
}

// (x, dy, gamma, mean, variance, dmean or null, dvariance or null, dx, dgamma, dbeta, channels, epsilon[,
// y or null]). y: the output of a forward pass with relu, whose gradient dy is then (the ReLU's
// gradient fused in: dy where y > 0).
napi_value batchNormTrainBackward(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 12 && argc != 13) return fail(env, "expected x, dy, gamma, mean, variance, dmean, dvariance, dx, dgamma, dbeta, channels, epsilon and y"), nullptr;
  Floats t[10];
  const char* names[10] = {"x", "dy", "gamma", "mean", "variance", "dmean", "dvariance", "dx", "dgamma", "dbeta"};
  for (int i = 0; i < 10; ++i) {
    const bool ok = (i == 5 || i == 6) ? getOptionalFloats(env, argv[i], names[i], &t[i]) : getFloats(env, argv[i], names[i], &t[i]);
    if (!ok) return nullptr;
  }
  Floats reluOut{nullptr, 0};
  if (argc == 13 && !getOptionalFloats(env, argv[12], "y", &reluOut)) return nullptr;
  int channels = 0;
  double epsilon = 0;
  if (napi_get_value_int32(env, argv[10], &channels) != napi_ok || channels < 1 ||
      napi_get_value_double(env, argv[11], &epsilon) != napi_ok)
    return fail(env, "channels must be a positive whole number and epsilon a number"), nullptr;
  if (t[0].length % channels != 0) return fail(env, "x is not a whole number of rows of channels"), nullptr;
  if (!checkLength(env, t[1], t[0].length, "dy") || !checkLength(env, t[7], t[0].length, "dx")) return nullptr;
  if (reluOut.data != nullptr && !checkLength(env, reluOut, t[0].length, "y")) return nullptr;
  for (int i : {2, 3, 4, 5, 6, 8, 9})
    if (t[i].data != nullptr && !checkLength(env, t[i], static_cast<size_t>(channels), names[i])) return nullptr;
  float* p[10];
  for (int i = 0; i < 10; ++i) p[i] = t[i].data;
  const long rows = static_cast<long>(t[0].length / channels);
  const float eps = static_cast<float>(epsilon);
  const float* y = reluOut.data;
  return dispatch(env, y ? "batchNormReluTrainBackward" : "batchNormTrainBackward", [=] {
    leadwise::batchNormTrainBackward(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], rows, channels, eps, y);
  });
}

// (dy, y, dx): dx = dy where y > 0, else 0.
napi_value reluGrad(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 3) return fail(env, "expected dy, y and dx"), nullptr;
  Floats dy, y, dx;
  if (!getFloats(env, argv[0], "dy", &dy) || !getFloats(env, argv[1], "y", &y) || !getFloats(env, argv[2], "dx", &dx))
    return nullptr;
  if (!checkLength(env, y, dy.length, "y") || !checkLength(env, dx, dy.length, "dx")) return nullptr;
  float *dyd = dy.data, *yd = y.data, *dxd = dx.data;
  const long size = static_cast<long>(dy.length);
  return dispatch(env, "reluGrad", [=] { leadwise::reluGrad(dyd, yd, dxd, size); });
}

// (value, m, v, gradient, newValue, newM, newV, scalars) with scalars a Float32Array of beta1,
// 1 - beta1, beta2, 1 - beta2, 1 - acc1, 1 - acc2, epsilon, -learningRate.
napi_value adamUpdate(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 8) return fail(env, "expected value, m, v, gradient, newValue, newM, newV and 8 scalars"), nullptr;
  Floats t[8];
  const char* names[8] = {"value", "m", "v", "gradient", "newValue", "newM", "newV", "scalars"};
  for (int i = 0; i < 8; ++i)
    if (!getFloats(env, argv[i], names[i], &t[i])) return nullptr;
  for (int i = 1; i < 7; ++i)
    if (!checkLength(env, t[i], t[0].length, names[i])) return nullptr;
  if (!checkLength(env, t[7], 8, "scalars")) return nullptr;
  // The scalars are copied now: JavaScript reuses their array.
  float s[8];
  for (int i = 0; i < 8; ++i) s[i] = t[7].data[i];
  float* p[7];
  for (int i = 0; i < 7; ++i) p[i] = t[i].data;
  const long size = static_cast<long>(t[0].length);
  return dispatch(env, "adamUpdate", [=] {
    leadwise::adamUpdate(p[0], p[1], p[2], p[3], p[4], p[5], p[6], size, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
  });
}

// (wide, parts, rows, concat): parts an array of Float32Arrays of rows x width_i floats, wide
// rows x sum(width_i); concat true writes wide from the parts, false the parts from wide.
napi_value copyColumns(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 4) return fail(env, "expected wide, parts, rows and concat"), nullptr;
  Floats wide;
  if (!getFloats(env, argv[0], "wide", &wide)) return nullptr;
  bool isArray = false;
  napi_is_array(env, argv[1], &isArray);
  if (!isArray) return fail(env, "parts must be an array of Float32Arrays"), nullptr;
  uint32_t count = 0;
  napi_get_array_length(env, argv[1], &count);
  int64_t rows = 0;
  bool concat = false;
  if (napi_get_value_int64(env, argv[2], &rows) != napi_ok || rows < 1 || napi_get_value_bool(env, argv[3], &concat) != napi_ok)
    return fail(env, "rows must be a positive whole number and concat a boolean"), nullptr;
  std::vector<float*> parts(count);
  std::vector<int> widths(count);
  size_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    napi_value element;
    napi_get_element(env, argv[1], i, &element);
    Floats part;
    if (!getFloats(env, element, "part", &part)) return nullptr;
    if (part.length % static_cast<size_t>(rows) != 0) return fail(env, "a part is not a whole number of rows"), nullptr;
    parts[i] = part.data;
    widths[i] = static_cast<int>(part.length / static_cast<size_t>(rows));
    total += part.length;
  }
  if (!checkLength(env, wide, total, "wide")) return nullptr;
  float* wideData = wide.data;
  return dispatch(env, concat ? "concatColumns" : "splitColumns", [=] {
    if (concat) {
      leadwise::concatColumns(parts.data(), widths.data(), static_cast<int>(count), wideData, static_cast<long>(rows));
    } else {
      leadwise::splitColumns(wideData, parts.data(), widths.data(), static_cast<int>(count), static_cast<long>(rows));
    }
  });
}

// (a, b, c, shape) with shape = batch, batchA, batchB, m, n, k, transposeA, transposeB.
napi_value batchMatMul(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 4) return fail(env, "expected a, b, c and a shape"), nullptr;
  int v[8];
  if (!getInts(env, argv[3], 8, v)) return nullptr;
  const int batch = v[0], batchA = v[1], batchB = v[2], m = v[3], n = v[4], k = v[5];
  if (batch < 1 || (batchA != 1 && batchA != batch) || (batchB != 1 && batchB != batch) || m < 1 || n < 1 || k < 1)
    return fail(env, "batches must be 1 or the batch, sizes at least 1"), nullptr;
  Floats a, b, c;
  if (!getFloats(env, argv[0], "a", &a) || !getFloats(env, argv[1], "b", &b) || !getFloats(env, argv[2], "c", &c))
    return nullptr;
  if (!checkLength(env, a, static_cast<size_t>(batchA) * m * k, "a") || !checkLength(env, b, static_cast<size_t>(batchB) * k * n, "b") ||
      !checkLength(env, c, static_cast<size_t>(batch) * m * n, "c"))
    return nullptr;
  float *ad = a.data, *bd = b.data, *cd = c.data;
  const bool transposeA = v[6] != 0, transposeB = v[7] != 0;
  return dispatch(env, "batchMatMul", [=] { leadwise::batchMatMul(ad, bd, cd, batch, batchA, batchB, m, n, k, transposeA, transposeB); });
}

// (x, y): y = max(x, 0).
napi_value relu(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 2) return fail(env, "expected x and y"), nullptr;
  Floats x, y;
  if (!getFloats(env, argv[0], "x", &x) || !getFloats(env, argv[1], "y", &y)) return nullptr;
  if (!checkLength(env, y, x.length, "y")) return nullptr;
  float *xd = x.data, *yd = y.data;
  const long size = static_cast<long>(x.length);
  return dispatch(env, "relu", [=] { leadwise::relu(xd, yd, size); });
}

// (a, b, out): out = a + b, all the same length.
napi_value add(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 3) return fail(env, "expected a, b and out"), nullptr;
  Floats a, b, out;
  if (!getFloats(env, argv[0], "a", &a) || !getFloats(env, argv[1], "b", &b) || !getFloats(env, argv[2], "out", &out))
    return nullptr;
  if (!checkLength(env, b, a.length, "b") || !checkLength(env, out, a.length, "out")) return nullptr;
  float *ad = a.data, *bd = b.data, *od = out.data;
  const long size = static_cast<long>(a.length);
  return dispatch(env, "add", [=] { leadwise::add(ad, bd, od, size); });
}

// (current, value, out, decay): out = current - (current - value) * decay.
napi_value movingAverage(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 4) return fail(env, "expected current, value, out and decay"), nullptr;
  Floats v, x, out;
  double decay = 0;
  if (!getFloats(env, argv[0], "current", &v) || !getFloats(env, argv[1], "value", &x) || !getFloats(env, argv[2], "out", &out))
    return nullptr;
  if (napi_get_value_double(env, argv[3], &decay) != napi_ok) return fail(env, "decay must be a number"), nullptr;
  if (!checkLength(env, x, v.length, "value") || !checkLength(env, out, v.length, "out")) return nullptr;
  float *vd = v.data, *xd = x.data, *od = out.data;
  const long size = static_cast<long>(v.length);
  const float d = static_cast<float>(decay);
  return dispatch(env, "movingAverage", [=] { leadwise::movingAverage(vd, xd, od, size, d); });
}

// (x, penalty, out, winner, shape) with shape = batch, cells, channels, leads; x [B, K, C],
// penalty [B, L, K], out [B, L, C] and winner (Int32Array) [B, L, C].
napi_value maskedMaxPool(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 5) return fail(env, "expected x, penalty, out, winner and a shape"), nullptr;
  int v[4];
  if (!getInts(env, argv[4], 4, v)) return nullptr;
  const int batch = v[0], cells = v[1], channels = v[2], leads = v[3];
  if (batch < 1 || cells < 1 || channels < 1 || leads < 1) return fail(env, "sizes must be at least 1"), nullptr;
  Floats x, penalty, out;
  int* winner = nullptr;
  size_t winnerLength = 0;
  if (!getFloats(env, argv[0], "x", &x) || !getFloats(env, argv[1], "penalty", &penalty) || !getFloats(env, argv[2], "out", &out) ||
      !getInt32s(env, argv[3], "winner", &winner, &winnerLength))
    return nullptr;
  if (!checkLength(env, x, sizeOf(batch, cells, channels, 1), "x") || !checkLength(env, penalty, sizeOf(batch, leads, cells, 1), "penalty") ||
      !checkLength(env, out, sizeOf(batch, leads, channels, 1), "out"))
    return nullptr;
  if (winnerLength != sizeOf(batch, leads, channels, 1)) return fail(env, "winner must hold one index per output"), nullptr;
  const float *xd = x.data, *pd = penalty.data;
  float* od = out.data;
  return dispatch(env, "maskedMaxPool", [=] { leadwise::maskedMaxPool(xd, pd, od, winner, batch, cells, channels, leads); });
}

// (dy, winner, dx, shape) with the shape and layouts of maskedMaxPool (dx as x).
napi_value maskedMaxPoolGrad(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 4) return fail(env, "expected dy, winner, dx and a shape"), nullptr;
  int v[4];
  if (!getInts(env, argv[3], 4, v)) return nullptr;
  const int batch = v[0], cells = v[1], channels = v[2], leads = v[3];
  if (batch < 1 || cells < 1 || channels < 1 || leads < 1) return fail(env, "sizes must be at least 1"), nullptr;
  Floats dy, dx;
  int* winner = nullptr;
  size_t winnerLength = 0;
  if (!getFloats(env, argv[0], "dy", &dy) || !getInt32s(env, argv[1], "winner", &winner, &winnerLength) || !getFloats(env, argv[2], "dx", &dx))
    return nullptr;
  if (!checkLength(env, dy, sizeOf(batch, leads, channels, 1), "dy") || !checkLength(env, dx, sizeOf(batch, cells, channels, 1), "dx"))
    return nullptr;
  if (winnerLength != dy.length) return fail(env, "winner must hold one index per dy value"), nullptr;
  // A winner outside [0, cells) would write outside dx: checked here, before the kernel is queued.
  for (size_t i = 0; i < winnerLength; ++i)
    if (winner[i] < 0 || winner[i] >= cells) return fail(env, "winner " + std::to_string(winner[i]) + " is not a cell index"), nullptr;
  const float* dyd = dy.data;
  float* dxd = dx.data;
  const int* wd = winner;
  return dispatch(env, "maskedMaxPoolGrad", [=] { leadwise::maskedMaxPoolGrad(dyd, wd, dxd, batch, cells, channels, leads); });
}

// (queued): true gives this JS thread a kernel queue (kernel calls return tickets), false runs
// what is queued and goes back to direct calls.
napi_value setQueued(napi_env env, napi_callback_info info) {
  bool queued = false;
  if (!getBoolArg(env, info, "queued must be a boolean", &queued)) return nullptr;
  Instance* instance = instanceOf(env);
  if (queued && !instance->queue) instance->queue = std::make_unique<leadwise::KernelQueue>();
  if (!queued) instance->queue.reset();
  return nullptr;
}

// (runNow): true makes this thread's kernel calls run at once, on this thread (taking part in the
// pool as any caller: a busy pool leaves it its tasks), beside its queue, which runs on; false
// queues them again. For kernels whose inputs are all written already (kernel-queue.ts).
napi_value setRunNow(napi_env env, napi_callback_info info) {
  bool runNow = false;
  if (!getBoolArg(env, info, "runNow must be a boolean", &runNow)) return nullptr;
  instanceOf(env)->runNow = runNow;
  return nullptr;
}

// (ticket): returns once the queued kernels up to the ticket have run (at once when not queued).
napi_value waitFor(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double ticket = 0;
  if (argc != 1 || napi_get_value_double(env, argv[0], &ticket) != napi_ok || !(ticket >= 0))
    return fail(env, "ticket must be a number of at least 0"), nullptr;
  Instance* instance = instanceOf(env);
  if (instance->queue) instance->queue->waitFor(ticket >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(ticket));
  return nullptr;
}

// The ticket of the last queued kernel that has run (0 when none, or not queued).
napi_value completed(napi_env env, napi_callback_info) {
  Instance* instance = instanceOf(env);
  napi_value out;
  napi_create_double(env, instance->queue ? static_cast<double>(instance->queue->completed()) : 0.0, &out);
  return out;
}

// The ticket of the last kernel queued (0 when none, or not queued).
napi_value submitted(napi_env env, napi_callback_info) {
  Instance* instance = instanceOf(env);
  napi_value out;
  napi_create_double(env, instance->queue ? static_cast<double>(instance->queue->submitted()) : 0.0, &out);
  return out;
}

// For tests: holds this thread's queue at a known point (a queued kernel that runs until
// releaseQueue), or releases it. Holding needs the queue on.
napi_value holdQueue(napi_env env, napi_callback_info) {
  Instance* instance = instanceOf(env);
  if (!instance->queue) return fail(env, "the kernel queue is off"), nullptr;
  napi_value ticket;
  napi_create_double(env, static_cast<double>(instance->queue->hold()), &ticket);
  return ticket;
}

// [busy ms, idle ms] of this thread's dispatcher since its queue started (for benchmarks).
napi_value queueTimes(napi_env env, napi_callback_info) {
  Instance* instance = instanceOf(env);
  napi_value out, busy, idle;
  napi_create_array_with_length(env, 2, &out);
  napi_create_double(env, instance->queue ? instance->queue->busyNs() / 1e6 : 0.0, &busy);
  napi_create_double(env, instance->queue ? instance->queue->idleNs() / 1e6 : 0.0, &idle);
  napi_set_element(env, out, 0, busy);
  napi_set_element(env, out, 1, idle);
  return out;
}

napi_value releaseQueue(napi_env env, napi_callback_info) {
  Instance* instance = instanceOf(env);
  if (instance->queue) instance->queue->release();
  return nullptr;
}

napi_value setThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int threads = 0;
  if (argc != 1 || napi_get_value_int32(env, argv[0], &threads) != napi_ok || threads < 1)
    return fail(env, "threads must be a whole number of at least 1"), nullptr;
  leadwise::setThreadCount(threads);
  return nullptr;
}

napi_value setWorkerSpin(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int microseconds = -1;
  if (argc != 1 || napi_get_value_int32(env, argv[0], &microseconds) != napi_ok || microseconds < 0)
    return fail(env, "worker spin must be a whole number of microseconds, at least 0"), nullptr;
  leadwise::setWorkerSpin(microseconds);
  return nullptr;
}

napi_value setPoolEnds(napi_env env, napi_callback_info info) {
  bool on = true;
  if (!getBoolArg(env, info, "pool ends must be true or false", &on)) return nullptr;
  leadwise::setTwoEndedClaims(on);
  return nullptr;
}

// (on): starts (clearing what was counted) or stops timing kernels by name (for benchmarks).
napi_value setKernelProfile(napi_env env, napi_callback_info info) {
  bool on = false;
  if (!getBoolArg(env, info, "kernel profile must be true or false", &on)) return nullptr;
  std::lock_guard<std::mutex> lock(profileMutex);
  if (on) profile.clear();
  profiling.store(on);
  return nullptr;
}

// [[name, calls, ms], ...] counted since setKernelProfile(true).
napi_value kernelProfile(napi_env env, napi_callback_info) {
  std::lock_guard<std::mutex> lock(profileMutex);
  napi_value out;
  napi_create_array_with_length(env, profile.size(), &out);
  uint32_t i = 0;
  for (const auto& [name, times] : profile) {
    napi_value row, label, calls, ms;
    napi_create_array_with_length(env, 3, &row);
    napi_create_string_utf8(env, name.c_str(), NAPI_AUTO_LENGTH, &label);
    napi_create_double(env, static_cast<double>(times.calls), &calls);
    napi_create_double(env, times.ns / 1e6, &ms);
    napi_set_element(env, row, 0, label);
    napi_set_element(env, row, 1, calls);
    napi_set_element(env, row, 2, ms);
    napi_set_element(env, out, i++, row);
  }
  return out;
}

// [pooled jobs, their callers' tasks, other threads' tasks, jobs the caller ran alone] (for benchmarks).
napi_value poolStats(napi_env env, napi_callback_info) {
  uint64_t stats[4];
  leadwise::poolStats(stats);
  napi_value out;
  napi_create_array_with_length(env, 4, &out);
  for (uint32_t i = 0; i < 4; ++i) {
    napi_value v;
    napi_create_double(env, static_cast<double>(stats[i]), &v);
    napi_set_element(env, out, i, v);
  }
  return out;
}

// (buffer, start, end): makes the pages of buffer[start, end) resident and writable now, contents
// unchanged (Linux: madvise MADV_POPULATE_WRITE, one system call); returns the bytes populated, 0
// where the system cannot (other platforms, kernels before 5.14). The wasm heap is reserved up
// front and its pages are backed on first touch: in a VM whose page faults trap to the hypervisor
// each first touch costs tens of microseconds, and a training step's kernels keep touching pages
// of the grown heap that no step has used yet (issue 14).
napi_value residentPages(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void* data = nullptr;
  size_t length = 0;
  double start = 0, end = 0;
  if (argc != 3 || napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok)
    return fail(env, "buffer must be an ArrayBuffer"), nullptr;
  if (napi_get_value_double(env, argv[1], &start) != napi_ok || napi_get_value_double(env, argv[2], &end) != napi_ok ||
      !(start >= 0) || !(end >= start) || end > static_cast<double>(length))
    return fail(env, "start and end must lie in the buffer, start <= end"), nullptr;
  double populated = 0;
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t base = reinterpret_cast<uintptr_t>(data);
  // Whole pages inside [start, end): a page partly outside the buffer is left to first touch.
  const uintptr_t from = (base + static_cast<uintptr_t>(start) + page - 1) / page * page;
  const uintptr_t to = (base + static_cast<uintptr_t>(end)) / page * page;
  if (to > from && madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_WRITE) == 0)
    populated = static_cast<double>(to - from);
#endif
  napi_value out;
  napi_create_double(env, populated, &out);
  return out;
}

napi_value threads(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_int32(env, leadwise::threadCount(), &out);
  return out;
}

napi_value isa(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_string_utf8(env, leadwise::sgemmIsa(), NAPI_AUTO_LENGTH, &out);
  return out;
}

napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor methods[] = {
      {"conv2dBackpropFilter", nullptr, conv2dBackpropFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, conv2dBackpropInput, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2d", nullptr, conv2d, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPool", nullptr, avgPool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPoolGrad", nullptr, avgPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, maxPool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, maxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainForward", nullptr, batchNormTrainForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainBackward", nullptr, batchNormTrainBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamUpdate", nullptr, adamUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"copyColumns", nullptr, copyColumns, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchMatMul", nullptr, batchMatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reluGrad", nullptr, reluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maskedMaxPool", nullptr, maskedMaxPool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maskedMaxPoolGrad", nullptr, maskedMaxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"relu", nullptr, relu, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"add", nullptr, add, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"movingAverage", nullptr, movingAverage, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setQueued", nullptr, setQueued, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setRunNow", nullptr, setRunNow, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"waitFor", nullptr, waitFor, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"queueTimes", nullptr, queueTimes, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"holdQueue", nullptr, holdQueue, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"releaseQueue", nullptr, releaseQueue, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"submitted", nullptr, submitted, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"completed", nullptr, completed, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, setThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setWorkerSpin", nullptr, setWorkerSpin, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setPoolEnds", nullptr, setPoolEnds, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setKernelProfile", nullptr, setKernelProfile, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"kernelProfile", nullptr, kernelProfile, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"poolStats", nullptr, poolStats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"residentPages", nullptr, residentPages, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, threads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"isa", nullptr, isa, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
  // Freed when the isolate goes (a worker thread ends): the queue runs what it holds, then stops.
  napi_set_instance_data(
      env, new Instance(), [](napi_env, void* data, void*) { delete static_cast<Instance*>(data); }, nullptr);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
