// SPDX-License-Identifier: MIT
// The checker itself must catch a wrong gradient, or every other gradient test means nothing.
#include "test_util.hpp"

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
