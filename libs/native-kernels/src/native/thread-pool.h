// A persistent pool of worker threads, one per process. Kernels are called synchronously from a JS thread,
// which takes part in the work; a second JS thread (worker_threads) finding the pool busy runs its
// tasks itself, so `run` needs no queue.
#pragma once

#include <functional>

namespace leadwise {

// Sets the number of threads kernels use (the caller included); at least 1.
void setThreadCount(int threads);
int threadCount();

// Calls task(t) for every t in [0, tasks) on the pool and returns when all have finished. Threads
// claim tasks as they come free, so which thread runs task t varies: a task's result must depend on
// t alone (per-task partial sums, thread_local scratch only), which keeps results fixed for a
// fixed task count.
void parallelFor(int tasks, const std::function<void(int)>& task);

}  // namespace leadwise
