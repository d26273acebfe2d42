// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <utility>
#include <vector>

using namespace siamese;

TEST_CASE("Rng: a seed fixes the sequence") {
    Rng a(42), b(42), c(43);
    bool differs = false;
    for (int i = 0; i < 100; ++i) {
        const auto x = a.next();
        CHECK(x == b.next());
        differs = differs || x != c.next();
    }
    CHECK(differs);
}

TEST_CASE("Rng: uniform and uniform_int stay in range and cover it") {
    Rng rng(1);
    std::vector<int> counts(7, 0);
    for (int i = 0; i < 70000; ++i) {
        const double u = rng.uniform();
        CHECK((u >= 0.0 && u < 1.0));
        const index_t k = rng.uniform_int(7);
        REQUIRE((k >= 0 && k < 7));
        ++counts[static_cast<std::size_t>(k)];
    }
    for (int c : counts) CHECK(std::abs(c - 10000) < 500);  // ~5 sigma
}

TEST_CASE("Rng: state round trip resumes the sequence") {
    Rng rng(9);
    rng.next();
    const auto saved = rng.state();
    const auto expected = rng.next();
    Rng other(0);
    other.set_state(saved);
    CHECK(other.next() == expected);
}

TEST_CASE("init_pytorch_default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases") {
    Rng rng(5);
    Tensor<double> w(Shape{64, 32, 3, 3}), b(Shape{64});
    init_pytorch_default(w, b, 32 * 9, rng);
    const double bound = 1.0 / std::sqrt(288.0);
    double lo = 1, hi = -1, mean = 0;
    for (double v : w) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        mean += v / static_cast<double>(w.size());
    }
    CHECK(lo >= -bound);
    CHECK(hi < bound);
    CHECK(hi > 0.98 * bound);  // the range is used up to its edges
    CHECK(lo < -0.98 * bound);
    CHECK(std::abs(mean) < 0.02 * bound);
    double bias_lo = 1, bias_hi = -1;
    for (double v : b) {
        CHECK(std::abs(v) <= bound);
        bias_lo = std::min(bias_lo, v);
        bias_hi = std::max(bias_hi, v);
    }
    // The biases use the whole range too (64 draws: each end within 20 % of the bound).
    CHECK(bias_hi > 0.8 * bound);
    CHECK(bias_lo < -0.8 * bound);
}

TEST_CASE("Rng::normal: Box-Muller on the next two uniform draws, one value per call") {
    // The formula is part of what a seed promises: the same numbers on every machine.
    Rng rng(42), twin(42);
    double sum = 0, squares = 0;
    constexpr int n = 20000;
    for (int i = 0; i < n; ++i) {
        const double u1 = twin.uniform(), u2 = twin.uniform();  // u1 is never 0 for these seeds
        const double expected = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
        const double z = rng.normal();
        REQUIRE(z == doctest::Approx(expected).epsilon(1e-15));
        sum += z;
        squares += z * z;
    }
    CHECK(std::abs(sum / n) < 0.03);  // ~4 sigma
    CHECK(std::abs(squares / n - 1) < 0.05);
}

TEST_CASE("Rng::uniform_int: an empty or negative range is an error; valid draws are unchanged") {
    Rng rng(1);
    const auto before = rng.state();
    test::require_error<std::invalid_argument>([&] { (void)rng.uniform_int(0); }, {"Rng::uniform_int", "got 0"});
    test::require_error<std::invalid_argument>([&] { (void)rng.uniform_int(-3); }, {"Rng::uniform_int", "got -3"});
    test::require_error<std::invalid_argument>([&] { (void)rng.uniform_int(std::numeric_limits<index_t>::min()); },
                                               {"got -9223372036854775808"});
    CHECK(rng.state() == before);  // a refused draw consumes nothing

    // The draws of the original implementation (seed 2024), including the rejection path of large n.
    Rng r(2024);
    const std::vector<std::pair<index_t, std::vector<index_t>>> expected = {
        {1, {0, 0, 0, 0}},
        {2, {1, 1, 0, 0}},
        {7, {4, 4, 0, 0}},
        {256, {134, 117, 15, 5}},
        {index_t{1} << 40, {341391207689, 79803376358, 488332174377, 650558132259}},
        {(index_t{1} << 62) + 1, {2752350513272152591, 995920749793405068, 3590908193349579406, 3111282066425337589}},
        {std::numeric_limits<index_t>::max(),
         {8854820714165103459, 50656249993007829, 42682020660567098, 4433782295582395420}},
    };
    for (const auto& range_draws : expected) {  // CAPTURE takes no structured binding before clang 16
        const index_t n = range_draws.first;
        CAPTURE(n);
        for (const index_t d : range_draws.second) CHECK(r.uniform_int(n) == d);
    }
    CHECK(r.next() == 9420684325269312219ULL);
}
