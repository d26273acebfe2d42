// SPDX-License-Identifier: MIT
// The checker itself must catch a wrong gradient, or every other gradient test means nothing.
#include "test_util.hpp"

#include <cmath>
#include <limits>
#include <string>

using namespace siamese;

namespace {

/// y = 3x, but backward claims dy/dx = 2 (a deliberately wrong layer).
struct WrongScale {
    using value_type = double;
    Tensor<double> out, grad;
    bool reports_right = false;
    [[nodiscard]] std::string name() const { return "WrongScale"; }
    [[nodiscard]] Shape output_shape(const Shape& s) const { return s; }
    const Tensor<double>& forward(const Tensor<double>& x) {
        out.resize(x.shape());
        for (index_t i = 0; i < x.size(); ++i) out[i] = 3 * x[i];
        return out;
    }
    const Tensor<double>& backward(const Tensor<double>& g) {
        grad.resize(g.shape());
        for (index_t i = 0; i < g.size(); ++i) grad[i] = (reports_right ? 3 : 2) * g[i];
        return grad;
    }
    [[nodiscard]] ParamList<double> params() { return {}; }
};

static_assert(Layer<WrongScale>);

}  // namespace

TEST_CASE("check_layer_gradients fails a wrong backward and passes a right one") {
    Rng rng(91);
    WrongScale layer;
    const auto x = test::random_tensor(Shape{2, 3}, rng);
    const auto bad = testing::check_layer_gradients(layer, x);
    CHECK_FALSE(bad.ok());
    CHECK(bad.max_relative_error > 0.3);
    CHECK(bad.worst.find("input[") == 0);
    layer.reports_right = true;
    const auto good = testing::check_layer_gradients(layer, x);
    CHECK(good.ok());
    CHECK(good.checked == 6);
}

TEST_CASE("check_tensor_gradient: a NaN derivative fails naming the element; a bad epsilon or tolerance throws") {
    // f(v) = sum v_k^2, true gradient 2 v.
    Tensor<double> v(Shape{3}, 1.0);
    auto f = [&] {
        double s = 0;
        for (index_t i = 0; i < v.size(); ++i) s += v[i] * v[i];
        return s;
    };
    Tensor<double> analytic(Shape{3}, 2.0);
    CHECK(testing::check_tensor_gradient(f, v, analytic, "v").ok());

    Tensor<double> nan_analytic = analytic;
    nan_analytic[1] = std::numeric_limits<double>::quiet_NaN();
    const auto r = testing::check_tensor_gradient(f, v, nan_analytic, "v");
    CHECK_FALSE(r.ok());
    CHECK(r.worst == "v[1]");
    CHECK(std::isnan(r.max_relative_error));
    CHECK(r.str().find("FAILED") != std::string::npos);

    // A NaN stays the worst when results are merged, whatever comes after it.
    testing::GradientCheckResult merged = r;
    merged.merge(testing::check_tensor_gradient(f, v, analytic, "w"));
    CHECK_FALSE(merged.ok());
    CHECK(merged.worst == "v[1]");
    testing::GradientCheckResult good = testing::check_tensor_gradient(f, v, analytic, "w");
    good.merge(r);
    CHECK_FALSE(good.ok());
    CHECK(good.worst == "v[1]");

    // A NaN numeric derivative (f is NaN near v) fails too.
    auto f_nan = [&] { return v[2] == 1.0 ? f() : std::numeric_limits<double>::quiet_NaN(); };
    const auto rn = testing::check_tensor_gradient(f_nan, v, analytic, "v");
    CHECK_FALSE(rn.ok());
    CHECK(rn.worst == "v[2]");

    Tensor<double> wrong(Shape{3}, 0.0);
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    for (const double eps : {0.0, -1e-5, nan, inf}) {
        test::require_error<std::invalid_argument>(
            [&] { (void)testing::check_tensor_gradient(f, v, wrong, "v", {.epsilon = eps}); },
            {"check_tensor_gradient: epsilon must be a finite number > 0, got"});
    }
    for (const double tol : {0.0, nan, inf}) {
        test::require_error<std::invalid_argument>(
            [&] { (void)testing::check_tensor_gradient(f, v, wrong, "v", {.tolerance = tol}); },
            {"check_tensor_gradient: tolerance must be a finite number > 0, got"});
    }
    test::require_error<std::invalid_argument>(
        [&] { (void)testing::check_tensor_gradient(f, v, wrong, "v", {.step_reductions = -1}); },
        {"step_reductions", "got -1"});
    // A negative floor can make the denominator 0 or negative (a wrong gradient would pass).
    for (const double floor : {-1e-6, nan, inf}) {
        test::require_error<std::invalid_argument>(
            [&] { (void)testing::check_tensor_gradient(f, v, wrong, "v", {.absolute_floor = floor}); },
            {"check_tensor_gradient: absolute_floor must be a finite number >= 0, got"});
    }
    // A gradient of another shape than its variable is a shape_error naming both.
    test::require_shape_error(
        [&] {
            (void)testing::check_tensor_gradient(f, v, Tensor<double>(Shape{1, 3}), "v");
        },
        {"check_tensor_gradient: v is [3] but its gradient is [1, 3]"});
    WrongScale layer;
    test::require_error<std::invalid_argument>(
        [&] {
            (void)testing::check_layer_gradients(layer, Tensor<double>(Shape{1, 2}, 1.0), {.epsilon = 0.0});
        },
        {"check_layer_gradients: epsilon", "got 0"});
    // absolute_floor 0 is allowed: equal zero derivatives then compare as equal, not as 0 / 0.
    Tensor<double> zero(Shape{3}, 0.0);
    auto constant = [] { return 1.0; };
    CHECK(testing::check_tensor_gradient(constant, v, zero, "v", {.absolute_floor = 0.0}).ok());
}
