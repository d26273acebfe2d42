// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/tensor.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>

namespace siamese {

/// Seeded pseudo-random generator (xoshiro256**, seeded through splitmix64) with its own
/// distributions, so a seed gives the same numbers with every compiler and standard library
/// (std::uniform_real_distribution does not promise that).
class Rng {
public:
    /// The full generator state (xoshiro256**'s four words), for checkpoints.
    using State = std::array<std::uint64_t, 4>;

    explicit Rng(std::uint64_t seed = 0) noexcept { this->seed(seed); }

    /// Restarts the stream: the generator then draws what Rng(seed) draws.
    void seed(std::uint64_t seed) noexcept {
        std::uint64_t x = seed;
        for (auto& s : state_) s = splitmix64(x);
    }

    /// 64 uniformly distributed bits.
    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    /// Uniform double in [0, 1) with 53 random bits.
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    /// Uniform double in [lo, hi).
    double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }

    /// Uniform integer in [0, n), unbiased (rejection on the top of the range). Throws
    /// std::invalid_argument when n < 1 (an empty range has no value to draw).
    index_t uniform_int(index_t n) {
        if (n < 1) [[unlikely]] {
            empty_range(n);
        }
        const auto range = static_cast<std::uint64_t>(n);
        const std::uint64_t limit =
            std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % range;
        std::uint64_t x = next();
        while (x >= limit) x = next();
        return static_cast<index_t>(x % range);
    }

    /// Standard normal (Box-Muller; one value per call, simple and reproducible).
    double normal() noexcept {
        double u1 = uniform();
        while (u1 <= 0.0) u1 = uniform();
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
    }

    /// The full generator state, for checkpoints.
    [[nodiscard]] const State& state() const noexcept { return state_; }
    void set_state(const State& s) noexcept { state_ = s; }

private:
    [[noreturn, gnu::noinline, gnu::cold]] static void empty_range(index_t n) {
        throw std::invalid_argument("Rng::uniform_int: n must be >= 1, got " + std::to_string(n));
    }
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    static std::uint64_t splitmix64(std::uint64_t& x) noexcept {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    State state_{};
};

/// Fills t with values uniform in [-bound, bound).
template <class T>
void fill_uniform(Tensor<T>& t, double bound, Rng& rng) noexcept {
    for (auto& v : t) v = static_cast<T>(rng.uniform(-bound, bound));
}

/// PyTorch's default initialisation of Conv2d and Linear: weights from kaiming_uniform_ with
/// a = sqrt(5), which reduces to U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and biases from the same range.
template <class T>
void init_pytorch_default(Tensor<T>& weight, Tensor<T>& bias, index_t fan_in, Rng& rng) noexcept {
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    fill_uniform(weight, bound, rng);
    fill_uniform(bias, bound, rng);
}

/// One step of a partial Fisher-Yates shuffle: swaps a uniformly drawn element of v[pos..] into
/// v[pos] and returns the index it came from. Steps at pos = 0, 1, ..., k - 1 leave k distinct
/// uniform draws at the front of v, in the order drawn.
template <class Vector>
std::size_t swap_random_to(Vector& v, std::size_t pos, Rng& rng) {
    const std::size_t j = pos + static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(v.size() - pos)));
    std::swap(v[pos], v[j]);
    return j;
}

/// The element a partial Fisher-Yates step (swap_random_to) draws: v[pos] after the step.
template <class Vector>
auto draw_next(Vector& v, std::size_t pos, Rng& rng) {
    swap_random_to(v, pos, rng);
    return v[pos];
}

}  // namespace siamese
