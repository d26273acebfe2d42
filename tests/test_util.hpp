// SPDX-License-Identifier: MIT
#pragma once

// Small helpers shared by the test files.

#include <siamese/siamese.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>

namespace siamese::test {

/// A tensor of the given shape with values uniform in [lo, hi).
template <class T = double>
Tensor<T> random_tensor(const Shape& shape, Rng& rng, double lo = -1.0, double hi = 1.0) {
    Tensor<T> t(shape);
    for (auto& v : t) v = static_cast<T>(rng.uniform(lo, hi));
    return t;
}

/// Values uniform in [lo, hi) with random sign, so none is within lo of zero (keeps ReLU off its kink).
template <class T = double>
Tensor<T> random_off_zero(const Shape& shape, Rng& rng, double lo = 0.05, double hi = 1.0) {
    Tensor<T> t(shape);
    for (auto& v : t) v = static_cast<T>((rng.uniform() < 0.5 ? -1 : 1) * rng.uniform(lo, hi));
    return t;
}

/// Largest |a - b| / max(|a|, |b|, floor) over two equally shaped tensors.
template <class T>
double max_relative_difference(const T* a, const T* b, index_t n, double floor = 1e-6) {
    double worst = 0;
    for (index_t i = 0; i < n; ++i) {
        const double x = a[i], y = b[i];
        worst = std::max(worst, std::abs(x - y) / std::max({std::abs(x), std::abs(y), floor}));
    }
    return worst;
}

/// Asserts a gradient check passed, printing its report either way.
inline void require_gradients_ok(const testing::GradientCheckResult& r) {
    INFO(r.str());
    CHECK(r.checked > 0);
    CHECK(r.max_relative_error <= r.tolerance);
}

/// Asserts that f() throws shape_error whose message contains every given fragment.
template <class F>
void require_shape_error(F&& f, std::initializer_list<std::string> fragments) {
    bool thrown = false;
    try {
        f();
    } catch (const shape_error& e) {
        thrown = true;
        const std::string message = e.what();
        INFO("message: " << message);
        for (const auto& fragment : fragments) CHECK(message.find(fragment) != std::string::npos);
    }
    CHECK_MESSAGE(thrown, "expected siamese::shape_error");
}

}  // namespace siamese::test
