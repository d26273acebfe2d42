// SPDX-License-Identifier: MIT
#pragma once

// The library's only OpenMP code: every parallel loop goes through parallel_for, or, for a kernel
// that sets up per-thread state once per call, parallel_ranges (on which parallel_for is built).

#include <siamese/config.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace siamese {

#ifdef _OPENMP
namespace detail {
/// The team size OpenMP starts the program with (OMP_NUM_THREADS, or one per core), read while
/// static objects are initialised, before main: read at the first set_num_threads call, it took
/// over whatever omp_set_num_threads the program had called before.
inline const int initial_num_threads = omp_get_max_threads();
}  // namespace detail
#endif

/// Sets the number of threads the library's kernels use; n <= 0 restores the default
/// (OMP_NUM_THREADS if set, otherwise one per core), whatever omp_set_num_threads or this
/// function set since. Like omp_set_num_threads, it holds for the calling thread: a program that
/// trains in a std::thread of its own calls it there. A no-op without OpenMP.
inline void set_num_threads(int n) {
#ifdef _OPENMP
    omp_set_num_threads(n > 0 ? n : detail::initial_num_threads);
#else
    (void)n;
#endif
}

/// The number of threads a parallel_for will use (1 without OpenMP).
[[nodiscard]] inline int num_threads() noexcept {
#ifdef _OPENMP
    return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
    return 1;
#endif
}

/// The index of the calling thread inside a parallel_for (0 outside and without OpenMP).
[[nodiscard]] inline int thread_index() noexcept {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/// Splits [0, n) into one contiguous range per thread and calls f(thread, begin, end) once in
/// each thread (thread in [0, num_threads())), so a kernel can set up per-thread state once and
/// write only what its range owns. Ranges depend only on n and the team size; a thread whose
/// range is empty is still called (begin == end). Serial (one call f(0, 0, n)) for n < 2, with
/// one thread, or inside a parallel region. f must not throw.
template <class F>
void parallel_ranges(index_t n, F&& f) {
#ifdef _OPENMP
    if (n > 1 && num_threads() > 1) {
#pragma omp parallel
        {
            const index_t team = omp_get_num_threads();
            const index_t t = omp_get_thread_num();
            f(static_cast<int>(t), n * t / team, n * (t + 1) / team);
        }
        return;
    }
#endif
    f(0, index_t{0}, n);
}

/// Calls f(i) for i in [0, n), split into contiguous chunks, one per thread (parallel_ranges's),
/// so the split depends only on n and the thread count. Serial for n < 2, with one thread, or
/// when already inside a parallel region (one level of parallelism per kernel). f must not throw.
template <class F>
void parallel_for(index_t n, F&& f) {
    // A plain parallel region split by hand, not `omp parallel for`: LLVM's OpenMP runtime
    // allocates on every worksharing loop, GCC's does not, and a training step allocates nothing.
    parallel_ranges(n, [&f](int, index_t begin, index_t end) {
        for (index_t i = begin; i < end; ++i) f(i);
    });
}

}  // namespace siamese
