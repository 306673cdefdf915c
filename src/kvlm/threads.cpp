// parallel_for and its pool; see threads.hpp.
// One job at a time: the caller publishes (fn, n), wakes the workers, and takes items itself; every
// thread claims the next item from one atomic counter until none are left.
#include "kvlm/threads.hpp"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace kvlm {
namespace {

// How long an idle thread spins before it sleeps: decode starts ~200 regions per token, a few
// microseconds apart, so a short spin catches the next one; a longer one only burns a busy CPU.
constexpr int kSpinIterations = 2000;  // ~10-20 us

thread_local bool t_inside = false;  // a parallel_for inside another one's item runs serially

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins, then sleeps, until `value` no longer holds `old`.
template <typename T>
void wait_for_change(const std::atomic<T>& value, T old) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (value.load(std::memory_order_acquire) != old) return;
    cpu_relax();
  }
  while (value.load(std::memory_order_acquire) == old) value.wait(old, std::memory_order_acquire);
}

class Pool {
 public:
  explicit Pool(int threads) {
    for (int t = 1; t < threads; ++t) workers_.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    generation_.notify_all();
    for (std::thread& w : workers_) w.join();
  }
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void run(int n, const std::function<void(int)>& fn) {
    {
      // A worker still inside the previous job (it found nothing left to take) must leave it
      // before the counters are reset: it holds active_ while it looks at them.
      std::unique_lock lock(mutex_);
      while (active_.load(std::memory_order_acquire) > 0) {
        lock.unlock();
        cpu_relax();
        lock.lock();
      }
      job_ = &fn;
      n_ = n;
      next_.store(0, std::memory_order_relaxed);
      done_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    generation_.notify_all();
    take_items(fn, n);
    for (int d = done_.load(std::memory_order_acquire); d < n; d = done_.load(std::memory_order_acquire))
      wait_for_change(done_, d);
  }

 private:
  void take_items(const std::function<void(int)>& fn, int n) {
    for (int i = next_.fetch_add(1, std::memory_order_relaxed); i < n; i = next_.fetch_add(1, std::memory_order_relaxed)) {
      fn(i);
      if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == n) done_.notify_all();
    }
  }

  void work() {
    t_inside = true;  // an item that calls parallel_for again runs that loop itself
    unsigned seen = 0;
    for (;;) {
      wait_for_change(generation_, seen);
      const std::function<void(int)>* fn;
      int n;
      {
        std::lock_guard lock(mutex_);  // a consistent (job, n, generation) snapshot
        if (stop_) return;
        seen = generation_.load(std::memory_order_relaxed);
        fn = job_;
        n = n_;
        active_.fetch_add(1, std::memory_order_acq_rel);
      }
      take_items(*fn, n);  // claims nothing if the job already finished: fn is then never called
      active_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  bool stop_ = false;
  const std::function<void(int)>* job_ = nullptr;
  int n_ = 0;
  std::atomic<unsigned> generation_{0};  // +1 per job: what sleeping workers wait on
  std::atomic<int> next_{0};             // the next unclaimed item
  std::atomic<int> done_{0};             // items finished
  std::atomic<int> active_{0};           // workers looking at the current job's counters
};

std::atomic<int> g_threads{0};  // 0 until set: then default_num_threads()
std::unique_ptr<Pool> g_pool;  // built lazily, rebuilt when the count changes
std::mutex g_pool_mutex;       // one job at a time: a second caller (another Python thread) runs serially

int parse_positive(const char* text) {
  if (!text) return 0;
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  return end != text && *end == '\0' && v > 0 && v <= 4096 ? static_cast<int>(v) : 0;
}

}  // namespace

int hardware_threads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

int default_num_threads() {
  const int cpus = hardware_threads();
  if (const int env = parse_positive(std::getenv("OMP_NUM_THREADS"))) return std::min(env, cpus);
  // Leave one CPU to the rest of the machine where that costs little: past 4 CPUs, decode is bound by
  // memory bandwidth, not by cores. On 2 CPUs, leaving one would halve an idle machine's speed, and
  // a busy one loses nothing by using both (benchmarks/threads_under_load.py, README).
  return cpus > 4 ? cpus - 1 : cpus;
}

int num_threads() {
  const int set = g_threads.load(std::memory_order_relaxed);
  return set ? set : default_num_threads();
}

int set_num_threads(int n) {
  std::lock_guard lock(g_pool_mutex);
  const int threads = n <= 0 ? default_num_threads() : std::min(n, hardware_threads());
  g_threads.store(threads, std::memory_order_relaxed);
  if (g_pool && g_pool->size() != threads) g_pool.reset();
  return threads;
}

void parallel_for(int n, const std::function<void(int)>& fn) {
  const auto serial = [&] {
    for (int i = 0; i < n; ++i) fn(i);
  };
  if (t_inside || std::min(num_threads(), n) <= 1) return serial();
  std::unique_lock lock(g_pool_mutex, std::try_to_lock);
  if (!lock.owns_lock()) return serial();
  if (!g_pool || g_pool->size() != num_threads()) g_pool = std::make_unique<Pool>(num_threads());
  t_inside = true;
  g_pool->run(n, fn);
  t_inside = false;
}

}  // namespace kvlm
