// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <cmath>
#include <limits>
#include <vector>

using namespace siamese;

TEST_CASE("BceWithLogits: the mean of -t log p - (1 - t) log(1 - p)") {
    BceWithLogits<double> loss;
    Tensor<double> z(Shape{3, 1});
    z[0] = 0.3;
    z[1] = -1.2;
    z[2] = 2.0;
    const std::vector<double> t{1, 0, 0.25};
    double expected = 0;
    for (int i = 0; i < 3; ++i) {
        const double p = 1 / (1 + std::exp(-z[i]));
        expected +=
            -(t[static_cast<std::size_t>(i)] * std::log(p) + (1 - t[static_cast<std::size_t>(i)]) * std::log(1 - p));
    }
    CHECK(loss.forward(z, t) == doctest::Approx(expected / 3).epsilon(1e-14));
}

TEST_CASE("BceWithLogits: finite and exact for large |logit|") {
    BceWithLogits<float> loss;
    Tensor<float> z(Shape{4});
    z[0] = 200;
    z[1] = -200;
    z[2] = 200;
    z[3] = -200;
    const std::vector<float> t{1, 0, 0, 1};
    const float value = loss.forward(z, t);
    CHECK(std::isfinite(value));
    CHECK(value == doctest::Approx((200.0 + 200.0) / 4));  // the two wrong answers cost |z| each
    const auto& g = loss.backward();
    CHECK(g[0] == doctest::Approx(0.0));
    CHECK(g[2] == doctest::Approx(0.25));
    CHECK(g[3] == doctest::Approx(-0.25));
}

TEST_CASE("BceWithLogits: gradient matches finite differences") {
    Rng rng(81);
    BceWithLogits<double> loss;
    auto z = test::random_tensor(Shape{6, 1}, rng, -4, 4);
    const std::vector<double> t{0, 1, 1, 0, 0.5, 1};
    loss.forward(z, t);
    const Tensor<double> analytic = loss.backward();
    const auto r =
        testing::check_tensor_gradient([&] { return static_cast<double>(loss.forward(z, t)); }, z, analytic, "logits");
    test::require_gradients_ok(r);
}

TEST_CASE("BceWithLogits: shapes and target values are checked") {
    BceWithLogits<float> loss;
    Tensor<float> z(Shape{4, 1});
    test::require_shape_error(
        [&] {
            loss.forward(z, std::vector<float>{0, 1});
        },
        {"BceWithLogits", "2 targets", "[4, 1]"});
    Tensor<float> wide(Shape{4, 2});
    test::require_shape_error([&] { loss.forward(wide, std::vector<float>(8)); }, {"[4, 2]"});
    // An empty batch: its mean would be 0 / 0, a NaN loss.
    Tensor<float> empty(Shape{0});
    test::require_shape_error([&] { loss.forward(empty, std::vector<float>{}); }, {"B >= 1", "[0]"});
    test::require_error<std::invalid_argument>(
        [&] {
            loss.forward(z, std::vector<float>{0, 1, 2, 0});
        },
        {"BceWithLogits: target 2 is 2, expected a value in [0, 1]"});
    // The value as it is: six fixed decimals showed 1.0000001 as 1.000000, inside the range.
    test::require_error<std::invalid_argument>(
        [&] {
            loss.forward(z, std::vector<float>{0, 1.0000001f, 1, 0});
        },
        {"target 1 is 1.0000001, expected"});
    CHECK_THROWS_AS(BceWithLogits<float>().backward(), std::logic_error);
}

TEST_CASE("BceWithLogits: a forward that throws leaves the last gradient as it was") {
    BceWithLogits<double> loss;
    Tensor<double> z(Shape{3, 1});
    z[0] = 0.5;
    z[1] = -1;
    z[2] = 2;
    loss.forward(z, std::vector<double>{1, 0, 1});
    const Tensor<double> before = loss.backward();
    // A bad target at the end (the first two were written over before) and another batch size.
    Tensor<double> other(Shape{4, 1});
    CHECK_THROWS_AS(loss.forward(other, std::vector<double>{0, 1, 1, 2}), std::invalid_argument);
    const Tensor<double>& after = loss.backward();
    REQUIRE(after.shape() == before.shape());
    for (index_t i = 0; i < before.size(); ++i) CHECK(after[i] == before[i]);
}

TEST_CASE("BceWithLogits: an infinite logit gives the limit of the loss, not NaN, and a finite gradient") {
    // The finite formula computed inf - inf (z = +inf) or 0 * inf (z = -inf, t = 0): NaN.
    const float inf = std::numeric_limits<float>::infinity();
    struct Case {
        float z, t, loss, grad;
    };
    const Case cases[] = {
        {inf, 1, 0, 0},  {inf, 0, inf, 1},   {inf, 0.5f, inf, 0.5f},
        {-inf, 0, 0, 0}, {-inf, 1, inf, -1}, {-inf, 0.25f, inf, -0.25f},
    };
    for (const Case& c : cases) {
        CAPTURE(c.z);
        CAPTURE(c.t);
        BceWithLogits<float> loss;
        Tensor<float> z(Shape{1, 1}, c.z);
        CHECK(loss.forward(z, std::vector<float>{c.t}) == c.loss);
        CHECK(loss.backward()[0] == c.grad);
    }
    // Mixed with finite logits, the mean is the limit's: 0 stays 0, a wrong side is +inf.
    BceWithLogits<double> loss;
    Tensor<double> z(Shape{3});
    z[0] = std::numeric_limits<double>::infinity();
    z[1] = -std::numeric_limits<double>::infinity();
    z[2] = 0.0;
    CHECK(loss.forward(z, std::vector<double>{1, 0, 1}) == doctest::Approx(std::log(2.0) / 3).epsilon(1e-15));
    for (const double g : loss.backward()) CHECK(std::isfinite(g));
}
