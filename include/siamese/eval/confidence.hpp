// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>

#include <algorithm>
#include <cmath>
#include <span>

namespace siamese::eval {

/// A sample mean with its 95 % confidence interval.
struct MeanInterval {
    double mean = 0;
    double ci95 = 0;     ///< half-width: the interval is mean +- ci95
    double std_dev = 0;  ///< sample standard deviation (n - 1 in the denominator)
    index_t count = 0;
};

namespace detail {

/// mean_with_ci95 of the values times 2^exponent (exact, but for values that underflow).
inline MeanInterval mean_interval(std::span<const double> values, int exponent) {
    MeanInterval r;
    r.count = static_cast<index_t>(values.size());
    if (values.empty()) return r;
    double sum = 0;
    for (const double v : values) sum += std::ldexp(v, exponent);
    r.mean = sum / static_cast<double>(values.size());
    if (values.size() < 2) return r;
    // Two passes: the textbook one-pass formula cancels badly when the spread is small.
    double squares = 0;
    for (const double v : values) {
        const double deviation = std::ldexp(v, exponent) - r.mean;
        squares += deviation * deviation;
    }
    r.std_dev = std::sqrt(squares / static_cast<double>(values.size() - 1));
    r.ci95 = 1.96 * r.std_dev / std::sqrt(static_cast<double>(values.size()));
    return r;
}

}  // namespace detail

/// Mean of `values` with a normal-approximation 95 % interval: mean +- 1.96 * s / sqrt(n), s the
/// sample standard deviation. This is the usual way few-shot results are reported (one value
/// per episode); from 100 episodes up, Student's t quantile exceeds 1.96 by at most 1.3 %.
/// A single value, or none, has a zero-width interval. Finite values whose sum or squared
/// deviations pass a double's range are scaled down for the sums (three values of 1e308 have
/// mean 1e308, not inf); an inf or NaN among the values gives an inf or NaN result.
[[nodiscard]] inline MeanInterval mean_with_ci95(std::span<const double> values) {
    MeanInterval r = detail::mean_interval(values, 0);
    if (std::isfinite(r.mean) && std::isfinite(r.std_dev)) [[likely]] {
        return r;
    }
    double largest = 0;
    for (const double v : values) largest = std::max(largest, std::abs(v));
    if (!std::isfinite(largest)) return r;
    const int exponent = std::ilogb(largest) + 1;  // |v| / 2^exponent < 1
    r = detail::mean_interval(values, -exponent);
    r.mean = std::ldexp(r.mean, exponent);
    r.std_dev = std::ldexp(r.std_dev, exponent);
    r.ci95 = std::ldexp(r.ci95, exponent);
    return r;
}

}  // namespace siamese::eval
