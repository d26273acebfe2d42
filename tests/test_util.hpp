// SPDX-License-Identifier: MIT
#pragma once

// Small helpers shared by the test files.

#include <siamese/siamese.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

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

/// Largest |a - b| / max(|a|, |b|, floor) over two equally shaped tensors. A NaN or an
/// infinity counts as infinitely far from anything but its equal (a NaN's equal is a NaN), so
/// a result that went NaN is not skipped as a NaN difference would be by std::max.
template <class T>
double max_relative_difference(const T* a, const T* b, index_t n, double floor = 1e-6) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    double worst = 0;
    for (index_t i = 0; i < n; ++i) {
        const double x = a[i], y = b[i];
        double difference = 0;
        if (std::isnan(x) || std::isnan(y)) {
            difference = std::isnan(x) && std::isnan(y) ? 0 : inf;
        } else if (x != y) {
            difference =
                std::isinf(x) || std::isinf(y) ? inf : std::abs(x - y) / std::max({std::abs(x), std::abs(y), floor});
        }
        worst = std::max(worst, difference);
    }
    return worst;
}

/// Asserts a gradient check passed, printing its report either way.
inline void require_gradients_ok(const testing::GradientCheckResult& r) {
    INFO(r.str());
    CHECK(r.checked > 0);
    CHECK(r.max_relative_error <= r.tolerance);
}

/// The message of the E that f() throws; fails the test case when f() throws nothing.
template <class E, class F>
std::string error_message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    FAIL("expected an exception, none was thrown");
    return {};
}

/// The message of the io_error that f() throws.
template <class F>
std::string io_error_of(F&& f) {
    return error_message_of<io_error>(std::forward<F>(f));
}

/// Asserts that f() throws E whose message contains every given fragment.
template <class E, class F>
void require_error(F&& f, std::initializer_list<std::string> fragments) {
    const std::string message = error_message_of<E>(std::forward<F>(f));
    INFO("message: " << message);
    for (const auto& fragment : fragments) CHECK(message.find(fragment) != std::string::npos);
}

template <class F>
void require_shape_error(F&& f, std::initializer_list<std::string> fragments) {
    require_error<shape_error>(std::forward<F>(f), fragments);
}

template <class F>
void require_io_error(F&& f, std::initializer_list<std::string> fragments) {
    require_error<io_error>(std::forward<F>(f), fragments);
}

/// A labelled set of images of `image_shape` whose pixel k of image i is (i * size + k) mod 251,
/// so that a copied image can be traced back to its index.
inline data::LabelledImages traceable_images(const std::vector<data::label_t>& labels, const Shape& image_shape) {
    const auto size = static_cast<std::size_t>(image_shape.numel());
    std::vector<std::uint8_t> pixels;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        for (std::size_t k = 0; k < size; ++k) pixels.push_back(static_cast<std::uint8_t>((i * size + k) % 251));
    }
    return data::LabelledImages(image_shape, std::move(pixels), labels);
}

/// Labels of classes of unequal sizes, interleaved: one image of each class still short of its
/// size per round, e.g. {{1, 2}, {2, 1}} -> 1, 2, 1.
inline std::vector<data::label_t> interleaved_labels(const std::vector<std::pair<data::label_t, int>>& class_sizes) {
    std::vector<data::label_t> labels;
    int rounds = 0;
    for (const auto& [label, n] : class_sizes) rounds = std::max(rounds, n);
    for (int round = 0; round < rounds; ++round) {
        for (const auto& [label, n] : class_sizes) {
            if (round < n) labels.push_back(label);
        }
    }
    return labels;
}

}  // namespace siamese::test
