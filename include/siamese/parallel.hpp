// SPDX-License-Identifier: MIT
#pragma once

// The library's only OpenMP code: every parallel loop goes through parallel_for.

#include <siamese/config.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace siamese {

/// Sets the number of threads the library's kernels use; n <= 0 restores the default
/// (OMP_NUM_THREADS if set, otherwise one per core). A no-op without OpenMP.
inline void set_num_threads(int n) {
#ifdef _OPENMP
    omp_set_num_threads(n > 0 ? n : omp_get_num_procs());
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

/// Calls f(i) for i in [0, n), split into contiguous static chunks, one per thread, so the
/// split depends only on n and the thread count. Serial for n < 2, with one thread, or when
/// already inside a parallel region (one level of parallelism per kernel). f must not throw.
template <class F>
void parallel_for(index_t n, F&& f) {
#ifdef _OPENMP
    if (n > 1 && num_threads() > 1) {
#pragma omp parallel for schedule(static)
        for (index_t i = 0; i < n; ++i) f(i);
        return;
    }
#endif
    for (index_t i = 0; i < n; ++i) f(i);
}

}  // namespace siamese
