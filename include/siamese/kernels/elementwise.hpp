// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>

#include <cmath>

namespace siamese::kernels {

/// y = max(x, 0), element by element (y may alias x); NaN stays NaN, as in PyTorch, so a
/// broken value upstream shows in the loss.
// x: [n]  ->  y: [n]
template <class T>
void relu_forward(index_t n, const T* x, T* y) noexcept {
    for (index_t i = 0; i < n; ++i) y[i] = x[i] < T(0) ? T(0) : x[i];
}

/// dx = dy where the ReLU's output y is positive, 0 elsewhere.
// y: [n]  dy: [n]  ->  dx: [n]
template <class T>
void relu_backward(index_t n, const T* y, const T* dy, T* dx) noexcept {
    for (index_t i = 0; i < n; ++i) dx[i] = y[i] > T(0) ? dy[i] : T(0);
}

/// 1 / (1 + exp(-z)), without overflow for large |z|.
template <class T>
[[nodiscard]] T sigmoid(T z) noexcept {
    if (z >= T(0)) return T(1) / (T(1) + std::exp(-z));
    const T e = std::exp(z);
    return e / (T(1) + e);
}

}  // namespace siamese::kernels
