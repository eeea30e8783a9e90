#include "kernel-queue.h"

#include <chrono>

#include "thread-pool.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define LEADWISE_QUEUE_PAUSE() _mm_pause()
#else
#define LEADWISE_QUEUE_PAUSE() std::this_thread::yield()
#endif

namespace leadwise {
namespace {
// The dispatcher spins this long for the next kernel before it sleeps: in a training step kernels
// come every few to few hundred microseconds, and a futex wake costs tens of microseconds here.
constexpr std::chrono::microseconds kDispatcherSpin{100};
// How long a waiting JS thread spins with nothing to help before it starts yielding its core.
constexpr std::chrono::microseconds kWaiterSpin{50};
}  // namespace

KernelQueue::KernelQueue() {
  addPoolHelper();
  dispatcher_ = std::thread([this] { loop(); });
}

KernelQueue::~KernelQueue() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  dispatcher_.join();
  removePoolHelper();
}

uint64_t KernelQueue::submit(std::function<void()> kernel) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    kernels_.push_back(std::move(kernel));
    wake = sleeping_;
  }
  if (wake) wake_.notify_one();
  return ++submitted_;
}

uint64_t KernelQueue::hold() {
  held_.store(true);
  return submit([this] {
    while (held_.load()) std::this_thread::sleep_for(std::chrono::microseconds(50));
  });
}

void KernelQueue::waitFor(uint64_t ticket) {
  if (ticket > submitted_) ticket = submitted_;
  // Spins (taking part in the pool's jobs) while kernels finish; once there has been nothing to
  // help with for a while (a kernel too small to split runs on the dispatcher alone), it yields
  // the core at each turn, so that other runnable threads (V8's garbage collector) get it.
  auto lastHelp = std::chrono::steady_clock::now();
  while (completed_.load(std::memory_order_acquire) < ticket) {
    if (helpPool()) {
      lastHelp = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - lastHelp > kWaiterSpin) {
      std::this_thread::yield();
    } else {
      LEADWISE_QUEUE_PAUSE();
    }
  }
}

void KernelQueue::loop() {
  for (;;) {
    std::function<void()> kernel;
    const auto idleSince = std::chrono::steady_clock::now();
    const auto deadline = idleSince + kDispatcherSpin;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!kernels_.empty()) {
          kernel = std::move(kernels_.front());
          kernels_.pop_front();
          break;
        }
        if (stopping_) return;
        if (std::chrono::steady_clock::now() >= deadline) {
          sleeping_ = true;
          wake_.wait(lock, [this] { return !kernels_.empty() || stopping_; });
          sleeping_ = false;
          continue;
        }
      }
      for (int i = 0; i < 64; ++i) LEADWISE_QUEUE_PAUSE();
    }
    const auto start = std::chrono::steady_clock::now();
    idleNs_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(start - idleSince).count());
    kernel();
    busyNs_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
    completed_.fetch_add(1, std::memory_order_release);
  }
}

}  // namespace leadwise
