// SPDX-License-Identifier: MIT
#include "test_util.hpp"

using namespace siamese;

TEST_CASE("ReLU: gradient matches finite differences away from 0") {
    Rng rng(51);
    ReLU<double> relu;
    for (const Shape& s : {Shape{7}, Shape{3, 5}, Shape{2, 3, 4, 5}}) {
        const auto x = test::random_off_zero(s, rng);
        test::require_gradients_ok(testing::check_layer_gradients(relu, x));
    }
}

TEST_CASE("ReLU: backward before forward and a mismatched gradient are errors") {
    ReLU<float> relu;
    Tensor<float> g(Shape{2, 2});
    CHECK_THROWS_AS(relu.backward(g), std::logic_error);
    Tensor<float> x(Shape{2, 3});
    relu.forward(x);
    test::require_shape_error([&] { relu.backward(g); }, {"ReLU", "[2, 3]", "[2, 2]"});
    // A rank-0 tensor (a default-constructed one) is not an input.
    test::require_shape_error([&] { relu.forward(Tensor<float>{}); }, {"ReLU", "rank 1 to 4", "[]"});
}
