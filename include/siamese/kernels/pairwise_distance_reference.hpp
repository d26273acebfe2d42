// SPDX-License-Identifier: MIT
#pragma once

// Naive twins of kernels/pairwise_distance.hpp: the oracle for its tests and benchmarks.
// Kept apart from kernels/reference.hpp so each file has one owner; same namespace, shapes and
// conventions as the fast kernels.

#include <siamese/config.hpp>

namespace siamese::kernels::reference {

/// a: [N, D]  b: [M, D]  ->  s: [N, M], s_ij = ||a_i - b_j||^2
template <class T>
void pairwise_squared_distance(index_t N, index_t M, index_t D, const T* a, const T* b, T* s) noexcept {
    for (index_t i = 0; i < N; ++i) {
        for (index_t j = 0; j < M; ++j) {
            T sum = 0;
            for (index_t k = 0; k < D; ++k) sum += (a[i * D + k] - b[j * D + k]) * (a[i * D + k] - b[j * D + k]);
            s[i * M + j] = sum;
        }
    }
}

/// gs: [N, M] = dL/ds  ->  da: [N, D], db: [M, D] (overwritten; nullptr skips one), from
/// ds_ij/da_ik = 2 (a_ik - b_jk) and ds_ij/db_jk = -2 (a_ik - b_jk), accumulated term by term.
template <class T>
void pairwise_squared_distance_backward(index_t N, index_t M, index_t D, const T* a, const T* b, const T* gs, T* da,
                                        T* db) noexcept {
    if (da != nullptr) {
        for (index_t x = 0; x < N * D; ++x) da[x] = 0;
    }
    if (db != nullptr) {
        for (index_t x = 0; x < M * D; ++x) db[x] = 0;
    }
    for (index_t i = 0; i < N; ++i) {
        for (index_t j = 0; j < M; ++j) {
            for (index_t k = 0; k < D; ++k) {
                const T g = 2 * gs[i * M + j] * (a[i * D + k] - b[j * D + k]);
                if (da != nullptr) da[i * D + k] += g;
                if (db != nullptr) db[j * D + k] -= g;
            }
        }
    }
}

}  // namespace siamese::kernels::reference
