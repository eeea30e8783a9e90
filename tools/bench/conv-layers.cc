// CPU time of the addon's three convolution kernels on every layer shape of ResNet18 at the
// standard profile (width 0.25, 128x160x1, batch 32), one thread, best of 4 calls, with GFLOPS.
// Not part of the build; compile it against the addon's sources:
//
//   S=libs/native-kernels/src/native
//   g++ -O3 -std=gnu++17 -ffp-contract=fast -fno-math-errno -Wno-psabi -I$S tools/bench/conv-layers.cc
//       $S/conv-kernels.cc $S/direct-conv.cc $S/sgemm.cc $S/thread-pool.cc -lpthread -o /tmp/conv-layers
//   /tmp/conv-layers
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

#include "conv-kernels.h"
#include "thread-pool.h"

using namespace leadwise;

namespace {

double cpuMs() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

struct Layer {
  const char* name;
  int height, width, inChannels, outChannels, kernel, stride, pad, count;
};

}  // namespace

int main() {
  setThreadCount(1);
  const Layer layers[] = {
      {"stem 7x7/2 1->16", 128, 160, 1, 16, 7, 2, 3, 1},  {"stage1 3x3 16", 32, 40, 16, 16, 3, 1, 1, 4},
      {"stage2 3x3/2 16->32", 32, 40, 16, 32, 3, 2, 1, 1}, {"stage2 3x3 32", 16, 20, 32, 32, 3, 1, 1, 3},
      {"stage2 1x1/2 16->32", 32, 40, 16, 32, 1, 2, 0, 1}, {"stage3 3x3/2 32->64", 16, 20, 32, 64, 3, 2, 1, 1},
      {"stage3 3x3 64", 8, 10, 64, 64, 3, 1, 1, 3},        {"stage4 3x3/2 64->128", 8, 10, 64, 128, 3, 2, 1, 1},
      {"stage4 3x3 128", 4, 5, 128, 128, 3, 1, 1, 3},
  };
  double total[3] = {0, 0, 0};
  std::printf("%-22s %5s %16s %16s %16s\n", "layer", "times", "forward ms (GF)", "input grad", "filter grad");
  for (const Layer& l : layers) {
    ConvShape s{32, l.height, l.width, l.inChannels, (l.height + 2 * l.pad - l.kernel) / l.stride + 1,
                (l.width + 2 * l.pad - l.kernel) / l.stride + 1, l.outChannels, l.kernel, l.kernel, l.stride, l.stride,
                l.pad, l.pad};
    std::vector<float> x(static_cast<size_t>(32) * l.height * l.width * l.inChannels, 0.5f);
    std::vector<float> w(static_cast<size_t>(l.kernel) * l.kernel * l.inChannels * l.outChannels, 0.1f);
    std::vector<float> y(static_cast<size_t>(32) * s.outHeight * s.outWidth * l.outChannels, 0.2f);
    std::vector<float> dw(w.size()), dx(x.size());
    double best[3] = {1e9, 1e9, 1e9};
    for (int round = 0; round < 4; ++round) {
      double t = cpuMs();
      conv2dForward(x.data(), w.data(), nullptr, y.data(), s, Activation::kLinear);
      best[0] = std::min(best[0], cpuMs() - t);
      t = cpuMs();
      conv2dBackpropInput(y.data(), w.data(), dx.data(), s);
      best[1] = std::min(best[1], cpuMs() - t);
      t = cpuMs();
      conv2dBackpropFilter(x.data(), y.data(), dw.data(), s);
      best[2] = std::min(best[2], cpuMs() - t);
    }
    const double mflop = 2.0 * 32 * s.outHeight * s.outWidth * l.kernel * l.kernel * l.inChannels * l.outChannels / 1e6;
    std::printf("%-22s %5d", l.name, l.count);
    for (int k = 0; k < 3; ++k) {
      std::printf(" %8.2f (%5.0f)", best[k], mflop / best[k]);
      total[k] += best[k] * l.count;
    }
    std::printf("\n");
  }
  std::printf("per step (x times): forward %.1f ms, input gradient %.1f ms (the stem's included), filter gradient %.1f ms\n",
              total[0], total[1], total[2]);
}
