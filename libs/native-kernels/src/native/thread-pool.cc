#include "thread-pool.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace leadwise {
namespace {

// Tasks are claimed from a shared counter rather than dealt out by index: on a loaded machine a
// worker the scheduler has not run yet claims nothing, and the caller (or the other workers) takes
// its share instead of waiting for it at the end of every kernel (with a fixed deal, two threads
// under load ran a DenseNet121 step 15x slower than one). The counter carries the job's generation
// in its high half, so a worker that wakes late can never claim a task of a later job.
class ThreadPool {
 public:
  ~ThreadPool() { resize(1); }

  int size() const { return size_.load(); }

  void resize(int threads) {
    if (threads < 1) threads = 1;
    // Waits for a job another isolate (a worker thread loading the same addon) is running.
    std::lock_guard<std::mutex> busy(busy_);
    if (threads == size()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      ++generation_;
    }
    wake_.notify_all();
    for (std::thread& worker : workers_) worker.join();
    workers_.clear();
    stopping_ = false;
    unsigned long generation = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation = generation_;
    }
    for (int id = 1; id < threads; ++id) workers_.emplace_back([this, generation] { loop(generation); });
    size_.store(threads);
  }

  void run(int tasks, const std::function<void(int)>& task) {
    // The pool is process-wide but every worker_threads isolate that loads the addon calls it: a
    // caller that finds it busy runs its tasks itself (the same results, as they depend on the task
    // index alone) rather than sharing the job's state with the other caller.
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock() || size() == 1 || tasks <= 1) {
      for (int t = 0; t < tasks; ++t) task(t);
      return;
    }
    uint32_t generation = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation = static_cast<uint32_t>(++generation_);
      task_ = &task;
      tasks_ = tasks;
      finished_ = 0;
      next_.store(static_cast<uint64_t>(generation) << 32);
    }
    wake_.notify_all();
    work(generation, task, tasks);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return finished_ == tasks_; });
    task_ = nullptr;
  }

 private:
  // Claims and runs tasks of job `generation` until none is left.
  void work(uint32_t generation, const std::function<void(int)>& task, int tasks) {
    for (;;) {
      uint64_t current = next_.load();
      int claimed = -1;
      while (static_cast<uint32_t>(current >> 32) == generation && static_cast<int>(current & 0xffffffffu) < tasks) {
        if (next_.compare_exchange_weak(current, current + 1)) {
          claimed = static_cast<int>(current & 0xffffffffu);
          break;
        }
      }
      if (claimed < 0) return;
      task(claimed);
      std::lock_guard<std::mutex> lock(mutex_);
      if (++finished_ == tasks_) done_.notify_one();
    }
  }

  // `seen` is the generation when the thread was created: read at start-up instead, a resize right
  // after creating the thread could bump the generation first and leave the thread waiting forever.
  void loop(unsigned long seen) {
    for (;;) {
      const std::function<void(int)>* task = nullptr;
      int tasks = 0;
      uint32_t generation = 0;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stopping_) return;
        task = task_;
        tasks = tasks_;
        generation = static_cast<uint32_t>(generation_);
      }
      // task_ stays valid while this job has unclaimed or unfinished tasks, and a claim only
      // succeeds while the counter still carries this job's generation.
      if (task != nullptr) work(generation, *task, tasks);
    }
  }

  std::vector<std::thread> workers_;
  std::atomic<int> size_{1};
  // Held by the caller running a job on the pool, and by resize.
  std::mutex busy_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  unsigned long generation_ = 0;
  bool stopping_ = false;
  const std::function<void(int)>* task_ = nullptr;
  int tasks_ = 0;
  int finished_ = 0;
  std::atomic<uint64_t> next_{0};
};

ThreadPool& pool() {
  static ThreadPool instance;
  return instance;
}

}  // namespace

void setThreadCount(int threads) { pool().resize(threads); }
int threadCount() { return pool().size(); }
void parallelFor(int tasks, const std::function<void(int)>& task) { pool().run(tasks, task); }

}  // namespace leadwise
