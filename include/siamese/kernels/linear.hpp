// SPDX-License-Identifier: MIT
#pragma once

// Fully connected layer maths: one batch-wide GEMM each (Eigen threads it itself).

#include <siamese/kernels/gemm.hpp>

namespace siamese::kernels {

/// x: [N, IN]  w: [OUT, IN]  b: [OUT]  ->  y: [N, OUT] = x w^T + b
template <class T>
void linear_forward(index_t N, index_t IN, index_t OUT, const T* x, const T* w, const T* b, T* y) {
    for (index_t n = 0; n < N; ++n) {
        for (index_t o = 0; o < OUT; ++o) y[n * OUT + o] = b[o];
    }
    gemm(Op::none, Op::transpose, N, OUT, IN, T(1), x, IN, w, IN, T(1), y, OUT);
}

/// dy: [N, OUT]  w: [OUT, IN]  ->  dx: [N, IN] = dy w (overwritten)
template <class T>
void linear_backward_data(index_t N, index_t IN, index_t OUT, const T* dy, const T* w, T* dx) {
    gemm(Op::none, Op::none, N, IN, OUT, T(1), dy, OUT, w, IN, T(0), dx, IN);
}

/// x: [N, IN]  dy: [N, OUT]  ->  dw: [OUT, IN] += dy^T x, db: [OUT] += sum over N of dy
template <class T>
void linear_backward_weights(index_t N, index_t IN, index_t OUT, const T* x, const T* dy, T* dw, T* db) {
    gemm(Op::transpose, Op::none, OUT, IN, N, T(1), dy, OUT, x, IN, T(1), dw, IN);
    for (index_t n = 0; n < N; ++n) {
        for (index_t o = 0; o < OUT; ++o) db[o] += dy[n * OUT + o];
    }
}

}  // namespace siamese::kernels
