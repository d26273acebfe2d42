// SPDX-License-Identifier: MIT
#include "test_util.hpp"

using namespace siamese;

TEST_CASE("Linear: input and parameter gradients match finite differences") {
    Rng rng(41);
    for (auto [n, in, out] : {std::tuple<index_t, index_t, index_t>{1, 1, 1}, {3, 7, 5}, {4, 16, 1}, {2, 3, 9}}) {
        Linear<double> fc(in, out, rng);
        const auto x = test::random_tensor(Shape{n, in}, rng);
        test::require_gradients_ok(testing::check_layer_gradients(fc, x));
    }
}

TEST_CASE("Linear: forward is x W^T + b") {
    Rng rng(42);
    Linear<double> fc(2, 2, rng);
    fc.weight()(0, 0) = 1;
    fc.weight()(0, 1) = 2;
    fc.weight()(1, 0) = 3;
    fc.weight()(1, 1) = 4;
    fc.bias()(0) = 0.5;
    fc.bias()(1) = -0.5;
    Tensor<double> x(Shape{1, 2});
    x(0, 0) = 1;
    x(0, 1) = -1;
    const auto& y = fc.forward(x);
    CHECK(y(0, 0) == doctest::Approx(-0.5));
    CHECK(y(0, 1) == doctest::Approx(-1.5));
}

TEST_CASE("Linear: shape errors name the layer and both shapes") {
    Rng rng(43);
    Linear<float> fc(1600, 120, rng);
    Tensor<float> x(Shape{200, 64, 5, 5});
    test::require_shape_error([&] { fc.forward(x); }, {"Linear(1600, 120)", "[N, 1600]", "[200, 64, 5, 5]"});
    Tensor<float> y(Shape{2, 1599});
    test::require_shape_error([&] { fc.forward(y); }, {"Linear(1600, 120)", "[2, 1599]"});
    // Rank 3 whose second dimension is IN: read as [2, 1600], it dropped four fifths of the input.
    Tensor<float> deep(Shape{2, 1600, 5});
    test::require_shape_error([&] { fc.forward(deep); }, {"Linear(1600, 120)", "[N, 1600]", "[2, 1600, 5]"});
}

TEST_CASE("Linear: a size below 1 is refused, naming the layer") {
    Rng rng(44);
    test::require_shape_error([&] { Linear<float>(0, 120, rng); }, {"Linear: invalid configuration Linear(0, 120)"});
    test::require_shape_error([&] { Linear<float>(1600, 0, rng); }, {"Linear(1600, 0)"});
}

TEST_CASE("Linear: set_input_grad(false) returns no dL/dx and the same parameter gradients") {
    // A first layer (an MLP backbone in Siamese) has no one to pass dL/dx to: it is skipped.
    Rng rng(45);
    Linear<double> fc(4, 3, rng);
    const auto x = test::random_tensor(Shape{2, 4}, rng);
    const auto g = test::random_tensor(Shape{2, 3}, rng);
    fc.forward(x);
    CHECK(fc.backward(g).shape() == Shape{2, 4});
    const Tensor<double> weight_grad = *fc.params()[0].grad, bias_grad = *fc.params()[1].grad;
    zero_grad(fc.params());
    fc.set_input_grad(false);
    fc.forward(x);
    CHECK(fc.backward(g).empty());
    for (index_t i = 0; i < weight_grad.size(); ++i) CHECK((*fc.params()[0].grad)[i] == weight_grad[i]);
    for (index_t i = 0; i < bias_grad.size(); ++i) CHECK((*fc.params()[1].grad)[i] == bias_grad[i]);
}
