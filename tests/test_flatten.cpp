// SPDX-License-Identifier: MIT
#include "test_util.hpp"

using namespace siamese;

TEST_CASE("Flatten: [N, C, H, W] -> [N, C*H*W], gradient passes through unchanged") {
    Rng rng(61);
    Flatten<double> flatten;
    const auto x = test::random_tensor(Shape{2, 3, 4, 5}, rng);
    const auto& y = flatten.forward(x);
    CHECK(y.shape() == Shape{2, 60});
    for (index_t i = 0; i < x.size(); ++i) CHECK(y[i] == x[i]);
    test::require_gradients_ok(testing::check_layer_gradients(flatten, x));
    const auto& dx = flatten.backward(y);
    CHECK(dx.shape() == x.shape());
}

TEST_CASE("Flatten: rank-1 input is an error naming the shape") {
    Flatten<float> flatten;
    Tensor<float> x(Shape{5});
    test::require_shape_error([&] { flatten.forward(x); }, {"Flatten", "[5]"});
}
