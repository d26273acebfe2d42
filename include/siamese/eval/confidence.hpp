// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>

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

/// Mean of `values` with a normal-approximation 95 % interval: mean +- 1.96 * s / sqrt(n), s the
/// sample standard deviation. This is the usual way few-shot results are reported (one value
/// per episode); from 100 episodes up, Student's t quantile exceeds 1.96 by at most 1.3 %.
/// A single value, or none, has a zero-width interval.
[[nodiscard]] inline MeanInterval mean_with_ci95(std::span<const double> values) {
    MeanInterval r;
    r.count = static_cast<index_t>(values.size());
    if (values.empty()) return r;
    double sum = 0;
    for (const double v : values) sum += v;
    r.mean = sum / static_cast<double>(values.size());
    if (values.size() < 2) return r;
    // Two passes: the textbook one-pass formula cancels badly when the spread is small.
    double squares = 0;
    for (const double v : values) squares += (v - r.mean) * (v - r.mean);
    r.std_dev = std::sqrt(squares / static_cast<double>(values.size() - 1));
    r.ci95 = 1.96 * r.std_dev / std::sqrt(static_cast<double>(values.size()));
    return r;
}

}  // namespace siamese::eval
