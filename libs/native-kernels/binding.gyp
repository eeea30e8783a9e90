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
      "cflags_cc": ["-O3", "-std=gnu++17", "-ffp-contract=fast", "-fno-math-errno", "-Wno-psabi"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=gnu++17", "-ffp-contract=fast"]
      }
    }
  ]
}
