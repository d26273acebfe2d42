// SPDX-License-Identifier: MIT
#pragma once

// Squared Euclidean distances between embedding rows, and their backward.
//
// Computed directly, as sum_k (a_k - b_k)^2, not through the GEMM identity
// ||a||^2 + ||b||^2 - 2 a.b. The identity is faster for large N x M (retrieval over a big
// gallery), but it cancels catastrophically exactly where metric losses work hardest: for a
// positive pair that has nearly collapsed, its float error (~1e-7 ||a||^2) swamps the true
// distance, and the loss's gradient (a - b) / d then divides by a wrong d. The direct form is
// exact to rounding there, gives s_ii = 0 exactly on a batch's diagonal, and a batch of
// N = 64..512 embeddings costs N^2 D flops, small next to the backbone. A GEMM path can be added
// for large galleries without changing these signatures.
//
// Threads: one level, over output rows (forward, dA) or columns (dB); each thread writes only
// its rows, and every sum runs in a fixed order, so results do not depend on the thread count.

#include <siamese/config.hpp>
#include <siamese/parallel.hpp>

namespace siamese::kernels {

namespace detail {

/// Below this many multiply-adds a kernel runs serially: a thread team costs more than it saves.
inline constexpr index_t pairwise_parallel_work = index_t{1} << 15;

template <class F>
void rows_maybe_parallel(index_t rows, index_t work, F&& f) {
    if (work >= pairwise_parallel_work) {
        parallel_for(rows, f);
    } else {
        for (index_t i = 0; i < rows; ++i) f(i);
    }
}

}  // namespace detail

/// x: [D]  y: [D]  ->  ||x - y||^2
template <class T>
[[nodiscard]] T squared_distance(index_t D, const T* x, const T* y) noexcept {
    // Eight independent partial sums: the compiler may vectorise them, while one running sum
    // is a dependency chain it must not reorder without -ffast-math.
    constexpr index_t lanes = 8;
    const index_t full = D - D % lanes;  // separate bounds: GCC 12 misreads a shared counter as overflowing
    T acc[lanes] = {};
    for (index_t k = 0; k < full; k += lanes) {
        for (index_t l = 0; l < lanes; ++l) {
            const T d = x[k + l] - y[k + l];
            acc[l] += d * d;
        }
    }
    T s = 0;
    for (index_t k = full; k < D; ++k) {
        const T d = x[k] - y[k];
        s += d * d;
    }
    for (int l = 0; l < lanes; ++l) s += acc[l];
    return s;
}

/// a: [N, D]  b: [M, D]  ->  s: [N, M], s_ij = ||a_i - b_j||^2 (every row of a with every row of b).
/// a and b may be the same matrix; s must not alias either.
template <class T>
void pairwise_squared_distance(index_t N, index_t M, index_t D, const T* a, const T* b, T* s) noexcept {
    detail::rows_maybe_parallel(N, N * M * D, [&](index_t i) {
        const T* ai = a + i * D;
        T* si = s + i * M;
        for (index_t j = 0; j < M; ++j) si[j] = squared_distance(D, ai, b + j * D);
    });
}

/// Backward of pairwise_squared_distance. gs: [N, M] = dL/ds  ->
///   da: [N, D], da_i = 2 sum_j gs_ij (a_i - b_j)
///   db: [M, D], db_j = 2 sum_i gs_ij (b_j - a_i)
/// Both are overwritten; pass nullptr for one that is not needed. Zero entries of gs are skipped,
/// so a sparse gs (a loss that uses a few pairs per row) costs little.
template <class T>
void pairwise_squared_distance_backward(index_t N, index_t M, index_t D, const T* a, const T* b, const T* gs, T* da,
                                        T* db) noexcept {
    // Written as sums of differences, not 2 (rowsum(gs) a - gs b): no cancellation for close rows.
    if (da != nullptr) {
        detail::rows_maybe_parallel(N, N * M * D, [&](index_t i) {
            const T* ai = a + i * D;
            T* gi = da + i * D;
            for (index_t k = 0; k < D; ++k) gi[k] = T(0);
            for (index_t j = 0; j < M; ++j) {
                const T w = gs[i * M + j];
                if (w == T(0)) continue;
                const T* bj = b + j * D;
                const T w2 = 2 * w;
                for (index_t k = 0; k < D; ++k) gi[k] += w2 * (ai[k] - bj[k]);
            }
        });
    }
    if (db != nullptr) {
        detail::rows_maybe_parallel(M, N * M * D, [&](index_t j) {
            const T* bj = b + j * D;
            T* gj = db + j * D;
            for (index_t k = 0; k < D; ++k) gj[k] = T(0);
            for (index_t i = 0; i < N; ++i) {
                const T w = gs[i * M + j];
                if (w == T(0)) continue;
                const T* ai = a + i * D;
                const T w2 = 2 * w;
                for (index_t k = 0; k < D; ++k) gj[k] += w2 * (bj[k] - ai[k]);
            }
        });
    }
}

}  // namespace siamese::kernels
