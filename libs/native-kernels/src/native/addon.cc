// N-API surface of the native kernels. Every tensor argument is a Float32Array view, normally of
// the tfjs-wasm heap; the kernels read and write through its pointer, so nothing is copied.
#include <node_api.h>

#include <string>
#include <vector>

#include "elementwise.h"
#include "conv-kernels.h"
#include "sgemm.h"
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

bool getInts(napi_env env, napi_value value, size_t count, int* out) {
  bool isTyped = false;
  napi_is_typedarray(env, value, &isTyped);
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (isTyped) napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr);
  if (!isTyped || type != napi_int32_array || length != count)
    return fail(env, "shape must be an Int32Array of " + std::to_string(count) + " values");
  const int* values = static_cast<const int*>(data);
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
  leadwise::conv2dBackpropFilter(t[0].data, t[1].data, t[2].data, s);
  return nullptr;
}

napi_value conv2dBackpropInput(napi_env env, napi_callback_info info) {
  Floats t[3];
  ConvShape s;
  if (!convArgs(env, info, t, &s)) return nullptr;
  if (!checkLength(env, t[0], sizeOf(s.batch, s.outHeight, s.outWidth, s.outChannels), "dy") ||
      !checkLength(env, t[1], sizeOf(s.filterHeight, s.filterWidth, s.inChannels, s.outChannels), "filter") ||
      !checkLength(env, t[2], sizeOf(s.batch, s.inHeight, s.inWidth, s.inChannels), "dx"))
    return nullptr;
  leadwise::conv2dBackpropInput(t[0].data, t[1].data, t[2].data, s);
  return nullptr;
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
  leadwise::conv2dForward(x.data, filter.data, bias.data, y.data, s, static_cast<leadwise::Activation>(activation));
  return nullptr;
}

// (x, dy, dx, shape) with shape = batch, inHeight, inWidth, channels, outHeight, outWidth,
// filterHeight, filterWidth, strideHeight, strideWidth, padTop, padLeft.
napi_value maxPoolGrad(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 4) return fail(env, "expected x, dy, dx and a shape"), nullptr;
  int v[12];
  if (!getInts(env, argv[3], 12, v)) return nullptr;
  const PoolShape s{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]};
  Floats x, dy, dx;
  if (!getFloats(env, argv[0], "x", &x) || !getFloats(env, argv[1], "dy", &dy) || !getFloats(env, argv[2], "dx", &dx))
    return nullptr;
  if (!checkLength(env, x, sizeOf(s.batch, s.inHeight, s.inWidth, s.channels), "x") ||
      !checkLength(env, dy, sizeOf(s.batch, s.outHeight, s.outWidth, s.channels), "dy") ||
      !checkLength(env, dx, x.length, "dx"))
    return nullptr;
  leadwise::maxPoolGrad(x.data, dy.data, dx.data, s);
  return nullptr;
}

bool getOptionalFloats(napi_env env, napi_value value, const char* what, Floats* out) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type == napi_null || type == napi_undefined) {
    *out = {nullptr, 0};
    return true;
  }
  return getFloats(env, value, what, out);
}

// (x, gamma, beta, y, mean, variance, channels, epsilon): x and y [rows, channels], the rest [channels].
napi_value batchNormTrainForward(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 8) return fail(env, "expected x, gamma, beta, y, mean, variance, channels and epsilon"), nullptr;
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
  leadwise::batchNormTrainForward(t[0].data, t[1].data, t[2].data, t[3].data, t[4].data, t[5].data,
                                  static_cast<long>(t[0].length / channels), channels, static_cast<float>(epsilon));
  return nullptr;
}

// (x, dy, gamma, mean, variance, dmean or null, dvariance or null, dx, dgamma, dbeta, channels, epsilon).
napi_value batchNormTrainBackward(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 12) return fail(env, "expected x, dy, gamma, mean, variance, dmean, dvariance, dx, dgamma, dbeta, channels, epsilon"), nullptr;
  Floats t[10];
  const char* names[10] = {"x", "dy", "gamma", "mean", "variance", "dmean", "dvariance", "dx", "dgamma", "dbeta"};
  for (int i = 0; i < 10; ++i) {
    const bool ok = (i == 5 || i == 6) ? getOptionalFloats(env, argv[i], names[i], &t[i]) : getFloats(env, argv[i], names[i], &t[i]);
    if (!ok) return nullptr;
  }
  int channels = 0;
  double epsilon = 0;
  if (napi_get_value_int32(env, argv[10], &channels) != napi_ok || channels < 1 ||
      napi_get_value_double(env, argv[11], &epsilon) != napi_ok)
    return fail(env, "channels must be a positive whole number and epsilon a number"), nullptr;
  if (t[0].length % channels != 0) return fail(env, "x is not a whole number of rows of channels"), nullptr;
  if (!checkLength(env, t[1], t[0].length, "dy") || !checkLength(env, t[7], t[0].length, "dx")) return nullptr;
  for (int i : {2, 3, 4, 5, 6, 8, 9})
    if (t[i].data != nullptr && !checkLength(env, t[i], static_cast<size_t>(channels), names[i])) return nullptr;
  leadwise::batchNormTrainBackward(t[0].data, t[1].data, t[2].data, t[3].data, t[4].data, t[5].data, t[6].data,
                                   t[7].data, t[8].data, t[9].data, static_cast<long>(t[0].length / channels),
                                   channels, static_cast<float>(epsilon));
  return nullptr;
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
  leadwise::reluGrad(dy.data, y.data, dx.data, static_cast<long>(dy.length));
  return nullptr;
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
  const float* s = t[7].data;
  leadwise::adamUpdate(t[0].data, t[1].data, t[2].data, t[3].data, t[4].data, t[5].data, t[6].data,
                       static_cast<long>(t[0].length), s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
  return nullptr;
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
  if (concat) {
    leadwise::concatColumns(parts.data(), widths.data(), static_cast<int>(count), wide.data, static_cast<long>(rows));
  } else {
    leadwise::splitColumns(wide.data, parts.data(), widths.data(), static_cast<int>(count), static_cast<long>(rows));
  }
  return nullptr;
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
  leadwise::batchMatMul(a.data, b.data, c.data, batch, batchA, batchB, m, n, k, v[6] != 0, v[7] != 0);
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
      {"maxPoolGrad", nullptr, maxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainForward", nullptr, batchNormTrainForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainBackward", nullptr, batchNormTrainBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamUpdate", nullptr, adamUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"copyColumns", nullptr, copyColumns, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchMatMul", nullptr, batchMatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reluGrad", nullptr, reluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, setThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setWorkerSpin", nullptr, setWorkerSpin, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, threads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"isa", nullptr, isa, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
