/*
 * Memory bandwidth on 1 and 2 threads (a STREAM-style triad, c = a + 1.5 b, best of REPS, OpenMP
 * static split), at working sets from cache-sized to well past the last-level cache: what the
 * element-wise training kernels (batch norm, ReLU, pooling, Adam) can get from a second core.
 *
 *   gcc -O3 -march=native -fopenmp tools/bench/memory-bandwidth.c -o /tmp/memory-bandwidth
 *   for n in 65536 262144 1048576 4194304 16777216; do /tmp/memory-bandwidth $n 50; done
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s FLOATS REPS\n", argv[0]);
    return 2;
  }
  const long n = atol(argv[1]);
  const int reps = atoi(argv[2]);
  float* a = aligned_alloc(64, n * sizeof(float));
  float* b = aligned_alloc(64, n * sizeof(float));
  float* c = aligned_alloc(64, n * sizeof(float));
  for (long i = 0; i < n; i++) {
    a[i] = 1;
    b[i] = 2;
    c[i] = 0;
  }
  for (int threads = 1; threads <= 2; threads++) {
    omp_set_num_threads(threads);
    double best = 1e9;
    for (int r = 0; r < reps; r++) {
      const double t = now();
#pragma omp parallel for schedule(static)
      for (long i = 0; i < n; i++) c[i] = a[i] + 1.5f * b[i];
      const double elapsed = now() - t;
      if (elapsed < best) best = elapsed;
    }
    printf("%ld floats x 3 (%.1f MB), %d thread(s): %.1f GB/s\n", n, 3.0 * n * sizeof(float) / 1e6, threads,
           3.0 * n * sizeof(float) / best / 1e9);
  }
  free(a);
  free(b);
  free(c);
  return 0;
}
