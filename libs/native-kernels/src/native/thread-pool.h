// A persistent pool of worker threads, one per process. Kernels are called synchronously from a JS thread,
// which takes part in the work; a second JS thread (worker_threads) finding the pool busy runs its
// tasks itself, so `run` needs no queue.
#pragma once

#include <cstdint>
#include <functional>

namespace leadwise {

// Sets the number of threads kernels use (the caller included); at least 1.
void setThreadCount(int threads);
int threadCount();
// The threads that may run a job's tasks: the pool's, plus the helpers registered (see below).
// Kernels size their task splits by this where the split does not change the bits.
int parallelism();

// How long an idle worker spins for the next job before it sleeps (default 200 us; 0: at once).
void setWorkerSpin(int microseconds);

// Whether a job's caller claims its tasks from the front and the other threads from the back (the
// default), so that each thread keeps to one end of every job: kernels split by image, so a thread
// then reads activations it wrote itself, from its own core's cache. Off: every thread claims from
// the front. The tasks (hence the bits) are the same either way.
void setTwoEndedClaims(bool on);

// Calls task(t) for every t in [0, tasks) on the pool and returns when all have finished. Threads
// claim tasks as they come free, so which thread runs task t varies: a task's result must depend on
// t alone (per-task partial sums, thread_local scratch only), which keeps results fixed for a
// fixed task count.
void parallelFor(int tasks, const std::function<void(int)>& task);

// Below this many floats read and written in all, a job runs on the caller alone: waking a worker
// and handing the tasks over costs more than the second core saves (see docs/benchmarks.md).
constexpr long kMinParallelFloats = 1L << 17;

// parallelFor for a job that touches `floats` floats: the same tasks, run on the caller alone when
// the job is small. The tasks (hence the bits) are the same either way.
void parallelFor(int tasks, long floats, const std::function<void(int)>& task);

// Another thread (a JS thread waiting on its kernel queue, see kernel-queue.h) may take part in the
// pool's jobs: while at least one helper is registered, a job is published for claiming even when
// the pool has no worker threads of its own. helpPool claims and runs tasks of the job running now,
// if any, and returns whether it ran one. The tasks (hence the bits) are the same whoever runs them.
// For benchmarks, counted since the process started: pooled jobs, the tasks their callers ran, the
// tasks the other threads (workers, helpers) ran, and the jobs whose caller ran every task.
void poolStats(uint64_t out[4]);

void addPoolHelper();
void removePoolHelper();
bool helpPool();

}  // namespace leadwise
