// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/losses/contrastive.hpp>

#include <cmath>
#include <limits>
#include <vector>

using namespace siamese;

namespace {

Tensor<double> rows(std::initializer_list<double> values, index_t d) {
    Tensor<double> t(Shape{static_cast<index_t>(values.size()) / d, d});
    std::copy(values.begin(), values.end(), t.data());
    return t;
}

}  // namespace

TEST_CASE("ContrastiveLoss: value and gradients by hand") {
    // margin 2, three pairs in 2-D:
    //   same (y=1):      (0,0)-(3,4),   d = 5    -> d^2 = 25
    //   different (y=0): (1,1)-(1,1.5), d = 0.5  -> (2 - 0.5)^2 = 2.25
    //   different (y=0): (0,0)-(0,3),   d = 3    -> beyond the margin: 0
    //   L = (25 + 2.25 + 0) / 3 = 9.0833...
    // Gradients (mean over B = 3):
    //   pair 0: dL/dl = 2 (l - r) / 3 = (-2, -8/3), dL/dr = (2, 8/3)
    //   pair 1: dL/dd = -2 (m - d) / 3 = -1, dd/dl = (l - r)/d = (0, -1) -> dL/dl = (0, 1), dL/dr = (0, -1)
    //   pair 2: 0
    const auto left = rows({0, 0, 1, 1, 0, 0}, 2);
    const auto right = rows({3, 4, 1, 1.5, 0, 3}, 2);
    const std::vector<double> same{1, 0, 0};
    ContrastiveLoss<double> loss({.margin = 2.0});
    CHECK(loss.forward(left, right, same) == doctest::Approx(27.25 / 3).epsilon(1e-12));
    const Tensor<double>& g = loss.backward();
    REQUIRE(g.shape() == Shape{6, 2});
    const double expected[] = {-2, -8.0 / 3, 0, 1, 0, 0, 2, 8.0 / 3, 0, -1, 0, 0};
    for (index_t i = 0; i < 12; ++i) {
        CAPTURE(i);
        CHECK(g[i] == doctest::Approx(expected[i]).epsilon(1e-10));
    }
    CHECK(loss.grad_left().data[1] == doctest::Approx(-8.0 / 3));
    CHECK(loss.grad_right().data[3] == doctest::Approx(-1.0));
    CHECK(loss.distances()[1] == doctest::Approx(0.5));
}

TEST_CASE("ContrastiveLoss: stacked embeddings give the same loss and gradient as left/right") {
    Rng rng(311);
    const auto left = test::random_tensor(Shape{4, 3}, rng);
    const auto right = test::random_tensor(Shape{4, 3}, rng);
    Tensor<double> stacked(Shape{8, 3});
    std::copy_n(left.data(), 12, stacked.data());
    std::copy_n(right.data(), 12, stacked.data() + 12);
    Tensor<double> labels(Shape{4});
    labels[0] = 1;
    labels[1] = 0;
    labels[2] = 0;
    labels[3] = 1;
    ContrastiveLoss<double> a, b;
    CHECK(a.forward(left, right, labels) == b.forward_stacked(stacked, labels));
    const Tensor<double>& ga = a.backward();
    const Tensor<double>& gb = b.backward();
    CHECK(std::equal(ga.begin(), ga.end(), gb.begin()));
}

TEST_CASE("ContrastiveLoss: gradient matches finite differences (hinge active and inactive, soft labels)") {
    Rng rng(312);
    // These random pairs in 4-D have d from 0.7 to 1.9: with margin 1.76 four different (or
    // partly different) pairs are inside the margin and one is beyond it.
    auto left = test::random_tensor(Shape{8, 4}, rng);
    auto right = test::random_tensor(Shape{8, 4}, rng);
    const std::vector<double> labels{1, 0, 0, 1, 0, 0.25, 0, 1};
    ContrastiveLoss<double> loss({.margin = 1.76});
    auto f = [&] { return loss.forward(left, right, labels); };
    f();
    int inside = 0;
    for (index_t i = 0; i < 8; ++i) {
        // Keep off the hinge's kink at d = margin.
        REQUIRE(std::abs(loss.distances()[i] - 1.76) > 1e-3);
        inside += labels[static_cast<std::size_t>(i)] < 1 && loss.distances()[i] < 1.76;
    }
    CHECK(inside == 4);
    loss.backward();
    Tensor<double> gl(left.shape()), gr(right.shape());
    std::copy_n(loss.grad_left().data, gl.size(), gl.data());
    std::copy_n(loss.grad_right().data, gr.size(), gr.data());
    test::require_gradients_ok(testing::check_tensor_gradient(f, left, gl, "left"));
    test::require_gradients_ok(testing::check_tensor_gradient(f, right, gr, "right"));
}

TEST_CASE("ContrastiveLoss: identical embeddings are finite, with zero gradient") {
    // d = 0 for a same pair (its minimum) and for a different pair (no direction to push).
    const auto e = rows({0.5, -1, 0.5, -1}, 2);
    ContrastiveLoss<float> loss({.margin = 1.0});
    Tensor<float> left(Shape{2, 2}), right(Shape{2, 2});
    std::copy(e.begin(), e.end(), left.begin());
    std::copy(e.begin(), e.end(), right.begin());
    const std::vector<float> labels{1, 0};
    const float value = loss.forward(left, right, labels);
    CHECK(value == doctest::Approx(0.5));  // (0 + (1 - 1e-6)^2) / 2
    for (const float g : loss.backward()) CHECK(g == 0.0f);
}

TEST_CASE("ContrastiveLoss: a float difference whose square overflows keeps a finite gradient") {
    // d was inf, and dL/dd / d = inf / inf made the gradient NaN; the loss itself is inf (d^2
    // overflows), which the training guards report.
    ContrastiveLoss<float> loss({.margin = 1.0});
    Tensor<float> left(Shape{1, 2}, 0.0f), right(Shape{1, 2}, 0.0f);
    left[0] = 1e20f;
    const std::vector<float> labels{1};
    CHECK(std::isinf(loss.forward(left, right, labels)));
    const Tensor<float>& g = loss.backward();
    CHECK(g[0] == doctest::Approx(2e20));  // 2 y d (a - b) / d
    CHECK(g[1] == 0.0f);
    CHECK(g[2] == doctest::Approx(-2e20));
    CHECK(g[3] == 0.0f);
}

TEST_CASE("ContrastiveLoss: shapes, labels and margin are checked") {
    ContrastiveLoss<float> loss;
    Tensor<float> a(Shape{4, 3}), a2(Shape{4, 3}), b(Shape{4, 2}), odd(Shape{5, 3});
    test::require_shape_error([&] { loss.forward(a, b, std::vector<float>(4)); },
                              {"ContrastiveLoss", "[4, 3]", "[4, 2]"});
    test::require_shape_error([&] { loss.forward(a, a2, std::vector<float>(3)); }, {"ContrastiveLoss", "3 labels"});
    test::require_shape_error([&] { loss.forward_stacked(odd, std::vector<float>(2)); }, {"ContrastiveLoss", "[5, 3]"});
    CHECK_THROWS_AS(loss.forward(a, a2, std::vector<float>{0, 1, 2, 0}), std::invalid_argument);
    // NaN fails both comparisons: a check written as l < 0 || l > 1 let it through.
    test::require_error<std::invalid_argument>(
        [&] {
            loss.forward(a, a2, std::vector<float>{0, 1, std::numeric_limits<float>::quiet_NaN(), 0});
        },
        {"ContrastiveLoss: label 2 is nan"});
    CHECK_THROWS_AS(ContrastiveLoss<float>().backward(), std::logic_error);
    CHECK_THROWS_AS(ContrastiveLoss<float>({.margin = 0.0}), std::invalid_argument);
}

TEST_CASE("ContrastiveLoss: an eps that is 0 as a float is an error naming ContrastiveLoss and the value") {
    test::require_error<std::invalid_argument>([] { ContrastiveLoss<float>({.margin = 1.0, .eps = 1e-300}); },
                                               {"ContrastiveLoss: eps 1e-300 is 0 or subnormal as a float"});
    test::require_error<std::invalid_argument>([] { ContrastiveLoss<float>({.margin = 1.0, .eps = 0.0}); },
                                               {"ContrastiveLoss: eps must be a finite number > 0, got 0"});
    test::require_error<std::invalid_argument>(
        [] { ContrastiveLoss<float>({.margin = 1.0, .eps = std::numeric_limits<double>::quiet_NaN()}); },
        {"ContrastiveLoss: eps", "got nan"});
}

TEST_CASE("ContrastiveLoss: a margin that is infinite or 0 as a float is an error naming the value") {
    // Checked only as a double, 1e39 passed and gave an infinite loss, 1e-300 became the margin 0.
    test::require_error<std::invalid_argument>(
        [] { ContrastiveLoss<float>({.margin = 1e39}); },
        {"ContrastiveLoss: margin 1e+39 is out of range for float (at most 3.4028235e+38)"});
    test::require_error<std::invalid_argument>([] { ContrastiveLoss<float>({.margin = 1e-300}); },
                                               {"ContrastiveLoss: margin 1e-300 is 0 as a float"});
    test::require_error<std::invalid_argument>([] { ContrastiveLoss<float>({.margin = -2.5}); },
                                               {"ContrastiveLoss: margin must be positive and finite, got -2.5"});
    // The same margins are fine in double, and the float limits are still accepted.
    CHECK_NOTHROW(ContrastiveLoss<double>({.margin = 1e39}));
    CHECK_NOTHROW(ContrastiveLoss<double>({.margin = 1e-300}));
    CHECK_NOTHROW(ContrastiveLoss<float>({.margin = 1e-40}));  // subnormal but positive
    CHECK_NOTHROW(ContrastiveLoss<float>({.margin = 1e38}));
}

TEST_CASE("ContrastiveLoss: one tensor passed as both sides is refused, naming the shared buffer and the way out") {
    // What two calls of Siamese::embed hand in: every distance would be 0 and the loss meaningless.
    ContrastiveLoss<float> loss;
    Tensor<float> e(Shape{2, 3}, 0.5F), copy = e;
    test::require_error<std::invalid_argument>(
        [&] {
            (void)loss.forward(e, e, std::vector<float>{1, 0});
        },
        {"ContrastiveLoss", "one tensor", "forward_stacked"});
    // Equal values in two tensors are fine: identical embeddings are a legitimate input.
    CHECK(loss.forward(e, copy, std::vector<float>{1, 0}) == doctest::Approx(0.5));
}
