{
  "targets": [
    {
      "target_name": "leadwise_native",
      "sources": [
        "src/native/addon.cc",
        "src/native/elementwise.cc",
        "src/native/sgemm.cc",
        "src/native/conv-kernels.cc",
        "src/native/direct-conv.cc",
        "src/native/thread-pool.cc",
        "src/native/kernel-queue.cc"
      ],
      "cflags_cc!": ["-fno-exceptions", "-O2"],
      # -fno-predictive-commoning: with it, GCC's -O3 reuses the direct convolution's input loads from
      # one filter tap to the next (x[r * step + j] is x[(r + 1) * step + j - step]) through stack
      # spills, which halved the stem's speed (7x7/2, one input channel: 5.2 ms against 3.2 ms a
      # batch-32 call, docs/benchmarks.md). No other kernel measured a difference.
      "cflags_cc": ["-O3", "-std=gnu++17", "-ffp-contract=fast", "-fno-math-errno", "-Wno-psabi", "-fno-predictive-commoning"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=gnu++17", "-ffp-contract=fast"]
      }
    }
  ]
}
