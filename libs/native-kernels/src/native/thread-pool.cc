#include "thread-pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define LEADWISE_PAUSE() _mm_pause()
#else
#define LEADWISE_PAUSE() std::this_thread::yield()
#endif

namespace leadwise {
namespace {

// How long a worker (after a job) and the caller (waiting for a job's last task) spin before they
// sleep on a condition variable. A training step runs a few hundred kernels with microseconds to a
// millisecond of JS between them; a worker woken by the kernel from a futex on this VM joined
// 50-500 us late, by which time the caller had done most of a small job alone (two threads gave a
// 40960 x 16 batch norm no gain). Spinning through the gaps costs CPU only while kernels come fast;
// on a machine shared with other work it takes their time, hence setWorkerSpin.
std::atomic<int> workerSpinUs{200};
constexpr std::chrono::microseconds kCallerSpin{50};

// Spins until done() or `limit` has passed; returns done().
template <typename Done>
bool spinUntil(Done done, std::chrono::microseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      LEADWISE_PAUSE();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

// Tasks are claimed from a shared counter rather than dealt out by index: on a loaded machine a
// worker the scheduler has not run yet claims nothing, and the caller (or the other workers) takes
// its share instead of waiting for it at the end of every kernel (with a fixed deal, two threads
// under load ran a DenseNet121 step 15x slower than one). The counter word holds the job's
// generation, its task count and the next task, so a worker that wakes late can never claim a task
// of a later job, nor read one job's count with another's generation.
constexpr int kIndexBits = 20;
constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;
constexpr int kMaxPooledTasks = static_cast<int>(kIndexMask);

// The word's low fields are the next task from the front and the end of the unclaimed range (the
// next task from the back is end - 1): the job's caller claims from the front and the other threads
// from the back, so that each thread runs the same end of every job's tasks. Kernels split by image
// (and row-chunked element-wise kernels, whose rows are ordered by image), so a thread reads the
// activations it wrote in the kernel before, from its own core's cache.
uint64_t counterWord(uint32_t generation, int tasks) {
  return (static_cast<uint64_t>(generation & 0xffffffu) << (2 * kIndexBits)) | (static_cast<uint64_t>(tasks) << kIndexBits);
}
uint32_t generationOf(uint64_t word) { return static_cast<uint32_t>(word >> (2 * kIndexBits)); }
int endOf(uint64_t word) { return static_cast<int>((word >> kIndexBits) & kIndexMask); }
int frontOf(uint64_t word) { return static_cast<int>(word & kIndexMask); }
std::atomic<bool> twoEnded{true};

// For benchmarks: pooled jobs, the tasks their callers ran, the tasks other threads ran, and the
// jobs in which no other thread ran a task (the caller did it all).
std::atomic<uint64_t> statJobs{0}, statCallerTasks{0}, statOtherTasks{0}, statAloneJobs{0};

class ThreadPool {
 public:
  ~ThreadPool() { resize(1); }

  int size() const { return size_.load(); }

  void resize(int threads) {
    if (threads < 1) threads = 1;
    // Waits for a running job (another worker_threads isolate may be inside run()) and keeps new
    // jobs out until the workers are replaced.
    std::lock_guard<std::mutex> busy(busy_);
    if (threads == size()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(true);
    }
    wake_.notify_all();
    for (std::thread& worker : workers_) worker.join();
    workers_.clear();
    stopping_.store(false);
    for (int id = 1; id < threads; ++id) workers_.emplace_back([this] { loop(); });
    size_.store(threads);
  }

  void run(int tasks, const std::function<void(int)>& task) {
    // The pool is process-wide, but every worker_threads isolate that loads the addon calls it (the
    // data-parallel replicas): a caller that finds it busy runs its tasks itself, which gives the
    // same results (they depend on the task split alone), rather than sharing the job's state.
    // (No kernel comes near kMaxPooledTasks; one that did would simply run on the caller.)
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock() || (size() == 1 && helpers_.load() == 0) || tasks <= 1 || tasks > kMaxPooledTasks) {
      for (int t = 0; t < tasks; ++t) task(t);
      return;
    }
    const uint32_t generation = ++lastGeneration_ & 0xffffffu;
    task_.store(&task, std::memory_order_relaxed);
    tasks_.store(tasks, std::memory_order_relaxed);
    finished_.store(0, std::memory_order_relaxed);
    next_.store(counterWord(generation, tasks));
    {
      // Under the mutex, so that a worker about to sleep either sees the job or gets the notify.
      std::lock_guard<std::mutex> lock(mutex_);
      job_.store(generation);
      if (sleepers_ > 0) wake_.notify_all();
    }
    const int mine = work(generation, task, true);
    statJobs.fetch_add(1, std::memory_order_relaxed);
    statCallerTasks.fetch_add(mine, std::memory_order_relaxed);
    statOtherTasks.fetch_add(tasks - mine, std::memory_order_relaxed);
    if (mine == tasks) statAloneJobs.fetch_add(1, std::memory_order_relaxed);
    if (!spinUntil([&] { return finished_.load() == tasks; }, kCallerSpin)) {
      std::unique_lock<std::mutex> lock(mutex_);
      callerSleeping_.store(true);
      done_.wait(lock, [&] { return finished_.load() == tasks; });
      callerSleeping_.store(false);
    }
  }

 void addHelper() { helpers_.fetch_add(1); }
  void removeHelper() { helpers_.fetch_sub(1); }

  int helpers() const { return helpers_.load(); }

  // As a worker woken for the current job: the job's task is stored before its generation is
  // published, and a claim succeeds only while that generation's job is unfinished. A helper
  // looks at a job once (it leaves only when no task is left to claim), so between jobs it reads
  // the generation alone, as a worker does, and not the claim counter the running job's threads
  // write.
  bool help() {
    thread_local uint32_t helped = 0;
    const uint32_t generation = job_.load();
    if (generation == helped) return false;
    const std::function<void(int)>* task = task_.load(std::memory_order_relaxed);
    if (task == nullptr) return false;
    helped = generation;
    return work(generation, *task, false) > 0;
  }

 private:
  // Claims and runs tasks of job `generation` until none is left; returns how many it ran. A claim
  // succeeds only while the job is unfinished, so `task` (read after the job was published) is
  // still that job's.
  int work(uint32_t generation, const std::function<void(int)>& task, bool front) {
    int ran = 0;
    const bool fromFront = front || !twoEnded.load(std::memory_order_relaxed);
    for (;;) {
      uint64_t current = next_.load();
      int claimed = -1;
      while (generationOf(current) == generation && frontOf(current) < endOf(current)) {
        const uint64_t claim = fromFront ? current + 1 : current - (uint64_t{1} << kIndexBits);
        if (next_.compare_exchange_weak(current, claim)) {
          claimed = fromFront ? frontOf(current) : endOf(current) - 1;
          break;
        }
      }
      if (claimed < 0) return ran;
      // The job cannot finish before this task does, so tasks_ is still this job's.
      const int tasks = tasks_.load(std::memory_order_relaxed);
      ++ran;
      task(claimed);
      // Only claimed tasks are counted, and the caller returns once all are: no late increment
      // can reach the next job's count.
      if (finished_.fetch_add(1) + 1 == tasks && callerSleeping_.load()) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_one();
      }
    }
  }

  void loop() {
    uint32_t seen = job_.load();
    for (;;) {
      const auto fresh = [&] { return job_.load() != seen || stopping_.load(); };
      if (!spinUntil(fresh, std::chrono::microseconds(workerSpinUs.load(std::memory_order_relaxed)))) {
        std::unique_lock<std::mutex> lock(mutex_);
        ++sleepers_;
        wake_.wait(lock, fresh);
        --sleepers_;
      }
      if (stopping_.load()) return;
      seen = job_.load();
      // The job's task is stored before its generation is published; if the caller has moved on
      // to a later job since, every claim in work() fails on the generation.
      work(seen, *task_.load(std::memory_order_relaxed), false);
    }
  }

  std::vector<std::thread> workers_;
  std::atomic<int> size_{1};
  std::atomic<int> helpers_{0};
  std::mutex busy_;  // held by the caller running a job, and by resize
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  int sleepers_ = 0;  // guarded by mutex_
  uint32_t lastGeneration_ = 0;  // guarded by busy_
  std::atomic<uint32_t> job_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> callerSleeping_{false};
  std::atomic<const std::function<void(int)>*> task_{nullptr};
  std::atomic<int> finished_{0};
  std::atomic<int> tasks_{0};
  std::atomic<uint64_t> next_{0};
};

ThreadPool& pool() {
  static ThreadPool instance;
  return instance;
}

}  // namespace

void setThreadCount(int threads) { pool().resize(threads); }
void setWorkerSpin(int microseconds) { workerSpinUs.store(microseconds < 0 ? 0 : microseconds); }
void setTwoEndedClaims(bool on) { twoEnded.store(on); }
int threadCount() { return pool().size(); }
int parallelism() { return pool().size() + pool().helpers(); }
void parallelFor(int tasks, const std::function<void(int)>& task) { pool().run(tasks, task); }

void poolStats(uint64_t out[4]) {
  out[0] = statJobs.load();
  out[1] = statCallerTasks.load();
  out[2] = statOtherTasks.load();
  out[3] = statAloneJobs.load();
}

void addPoolHelper() { pool().addHelper(); }
void removePoolHelper() { pool().removeHelper(); }
bool helpPool() { return pool().help(); }

void parallelFor(int tasks, long floats, const std::function<void(int)>& task) {
  if (floats < kMinParallelFloats) {
    for (int t = 0; t < tasks; ++t) task(t);
    return;
  }
  pool().run(tasks, task);
}

}  // namespace leadwise
