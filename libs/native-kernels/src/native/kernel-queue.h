// An in-order queue of kernels for one JS thread. With it, a kernel call from JavaScript returns as
// soon as the kernel is queued: a dispatcher thread runs the queue in order, on the thread pool,
// while the JS thread goes on with tfjs's bookkeeping (the engine, the tape, the layers) and queues
// the next kernels. JavaScript waits (waitFor) only where it must read a result; while it waits it
// takes part in the running kernel's tasks (helpPool), so a step uses the cores it is given and no
// more. The results are the same bits as with direct calls: the same kernels run in the same order
// on the same task splits.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace leadwise {

class KernelQueue {
 public:
  KernelQueue();
  // Runs what is queued, then stops the dispatcher.
  ~KernelQueue();
  KernelQueue(const KernelQueue&) = delete;
  KernelQueue& operator=(const KernelQueue&) = delete;

  // Queues a kernel; returns its ticket (1, 2, ... in submission order).
  uint64_t submit(std::function<void()> kernel);
  // Returns once every kernel up to `ticket` has run, helping the pool meanwhile.
  void waitFor(uint64_t ticket);
  void drain() { waitFor(submitted_); }
  // The ticket of the last kernel that has finished (kernels finish in ticket order).
  uint64_t completed() const { return completed_.load(std::memory_order_acquire); }
  uint64_t submitted() const { return submitted_; }

  // For tests: queues a kernel that runs until release(), so that what is queued after it is
  // known not to have run (hold) and then runs (release).
  uint64_t hold();
  // Nanoseconds the dispatcher has spent running kernels and waiting for them (for benchmarks).
  uint64_t busyNs() const { return busyNs_.load(); }
  uint64_t idleNs() const { return idleNs_.load(); }
  void release() { held_.store(false); }

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> kernels_;  // guarded by mutex_
  bool stopping_ = false;                      // guarded by mutex_
  bool sleeping_ = false;                      // guarded by mutex_
  uint64_t submitted_ = 0;                     // the submitting JS thread's only
  std::atomic<uint64_t> completed_{0};
  std::atomic<bool> held_{false};
  std::atomic<uint64_t> busyNs_{0};
  std::atomic<uint64_t> idleNs_{0};
  std::thread dispatcher_;
};

}  // namespace leadwise
