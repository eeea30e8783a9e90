#include "thread-pool.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace leadwise {
namespace {

class ThreadPool {
 public:
  ~ThreadPool() { resize(1); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    if (threads < 1) threads = 1;
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
    for (int id = 1; id < threads; ++id) workers_.emplace_back([this, id] { loop(id); });
  }

  void run(int tasks, const std::function<void(int)>& task) {
    const int threads = size();
    if (threads == 1 || tasks <= 1) {
      for (int t = 0; t < tasks; ++t) task(t);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = &task;
      tasks_ = tasks;
      pending_ = threads - 1;
      ++generation_;
    }
    wake_.notify_all();
    runShare(0, threads);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
  }

 private:
  void runShare(int id, int threads) {
    for (int t = id; t < tasks_; t += threads) (*task_)(t);
  }

  void loop(int id) {
    unsigned long seen = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      seen = generation_;
    }
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stopping_) return;
      }
      runShare(id, size());
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  unsigned long generation_ = 0;
  bool stopping_ = false;
  const std::function<void(int)>* task_ = nullptr;
  int tasks_ = 0;
  int pending_ = 0;
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
