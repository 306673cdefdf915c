// Threads for kvlm's two parallel loops (linear's weight slices, attention's heads): parallel_for
// over a small pool whose workers spin briefly, then sleep. Not OpenMP, and not a task scheduler.
//
// Why not OpenMP: its workers spin-wait between parallel regions (libgomp: ~300,000 iterations), and
// the wait policy can only be changed through an environment variable read before main() starts.
// On a laptop where a browser is busy, two spinning threads on two cores fought the other process
// and decode fell from 27 to 1.8 tok/s. Here a worker spins for a few microseconds (decode's regions
// come back to back), then sleeps until the next region, and every loop hands out its items one at a
// time, so a worker that the OS has descheduled never holds up the others: they take its items.
#pragma once

#include <functional>

namespace kvlm {

// Runs fn(i) for every i in [0, n), split between the calling thread and the pool's workers.
// Returns when every item is done. Which thread runs an item is not fixed, so fn(i) must write
// only its own part of the output (then results do not depend on the number of threads), and must
// not throw. A parallel_for inside fn, or one started while another thread runs one, runs serially.
void parallel_for(int n, const std::function<void(int)>& fn);

// The number of threads parallel_for uses, the caller included.
int num_threads();
// Sets it; 0 restores the default. Above hardware_threads() it is clamped to it (returns the value set).
int set_num_threads(int n);
// The CPUs this process may run on (its affinity mask, as `nproc` counts them).
int hardware_threads();
// The default: $OMP_NUM_THREADS when set (as OpenMP programs read it), else every CPU up to 4, and
// one fewer than the CPUs above that.
int default_num_threads();

}  // namespace kvlm
