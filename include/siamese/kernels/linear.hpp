// SPDX-License-Identifier: MIT
#pragma once

// Fully connected layer maths: one batch-wide GEMM each, threaded inside gemm (split by rows of
// the output, or by column panels when it has few rows), so every thread writes its own block.

#include <siamese/kernels/gemm.hpp>

#include <algorithm>

namespace siamese::kernels {

/// Elements of workspace the three linear kernels need with `threads` threads.
template <class T>
[[nodiscard]] constexpr index_t linear_workspace_size(index_t N, index_t IN, index_t OUT, int threads) noexcept {
    return std::max({gemm_workspace_size<T>(N, OUT, IN, threads), gemm_workspace_size<T>(N, IN, OUT, threads),
                     gemm_workspace_size<T>(OUT, IN, N, threads)});
}

/// x: [N, IN]  w: [OUT, IN]  b: [OUT]  ->  y: [N, OUT] = x w^T + b
template <class T>
void linear_forward(index_t N, index_t IN, index_t OUT, const T* x, const T* w, const T* b, T* y, T* workspace) {
    for (index_t n = 0; n < N; ++n) std::copy_n(b, OUT, y + n * OUT);
    gemm(Op::none, Op::transpose, N, OUT, IN, T(1), x, IN, w, IN, T(1), y, OUT, workspace);
}

/// dy: [N, OUT]  w: [OUT, IN]  ->  dx: [N, IN] = dy w (overwritten)
template <class T>
void linear_backward_data(index_t N, index_t IN, index_t OUT, const T* dy, const T* w, T* dx, T* workspace) {
    gemm(Op::none, Op::none, N, IN, OUT, T(1), dy, OUT, w, IN, T(0), dx, IN, workspace);
}

/// x: [N, IN]  dy: [N, OUT]  ->  dw: [OUT, IN] += dy^T x, db: [OUT] += sum over N of dy
template <class T>
void linear_backward_weights(index_t N, index_t IN, index_t OUT, const T* x, const T* dy, T* dw, T* db, T* workspace) {
    gemm(Op::transpose, Op::none, OUT, IN, N, T(1), dy, OUT, x, IN, T(1), dw, IN, workspace);
    for (index_t n = 0; n < N; ++n)
        for (index_t o = 0; o < OUT; ++o) db[o] += dy[n * OUT + o];
}

}  // namespace siamese::kernels
