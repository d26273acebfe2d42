// SPDX-License-Identifier: MIT
#pragma once

// Shared helpers of the benchmarks: random tensors, thread arguments and rate counters.

#include <siamese/siamese.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace siamese::bench {

/// A tensor of `shape` with values uniform in [lo, hi), from a fixed seed.
inline Tensor<float> random(const Shape& shape, double lo = -1.0, double hi = 1.0, std::uint64_t seed = 1) {
    Rng rng(seed);
    Tensor<float> t(shape);
    for (auto& v : t) v = static_cast<float>(rng.uniform(lo, hi));
    return t;
}

/// Sets the thread count from the benchmark argument named "threads" (argument `index`).
inline int use_threads(const benchmark::State& state, int index) {
    const int threads = static_cast<int>(state.range(index));
    set_num_threads(threads);
    return threads;
}

/// Reports FLOP/s and items/s (rate counters over real time; every benchmark uses UseRealTime,
/// since the default CPU timer counts the calling thread only and OpenMP kernels would look cheap).
inline void report(benchmark::State& state, double flops_per_iteration, double items_per_iteration) {
    const auto iterations = static_cast<double>(state.iterations());
    state.counters["FLOPS"] = benchmark::Counter(flops_per_iteration * iterations, benchmark::Counter::kIsRate);
    state.SetItemsProcessed(static_cast<std::int64_t>(items_per_iteration * iterations));
}

/// The tutorial's two convolutions: conv1 1x28x28 -> 32, conv2 32x13x13 -> 64, both 3x3.
inline kernels::Conv2dGeometry conv_geometry(int which) {
    return which == 1 ? kernels::Conv2dGeometry{1, 28, 28, 32, 3, 3, 1, 0}
                      : kernels::Conv2dGeometry{32, 13, 13, 64, 3, 3, 1, 0};
}

}  // namespace siamese::bench
