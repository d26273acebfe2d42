// SPDX-License-Identifier: MIT
#include "test_util.hpp"

using namespace siamese;

namespace {

using SmallNet = Sequential<Conv2d<double>, ReLU<double>, MaxPool2d<double>, Flatten<double>, Linear<double>,
                            ReLU<double>, Linear<double>>;

SmallNet make_small_net(Rng& rng) {
    Conv2d<double> conv(2, 3, 3, rng, {.stride = 1, .padding = 1});
    Linear<double> fc1(3 * 3 * 2, 6, rng);
    Linear<double> fc2(6, 4, rng);
    return SmallNet(std::move(conv), ReLU<double>(), MaxPool2d<double>(2), Flatten<double>(), std::move(fc1),
                    ReLU<double>(), std::move(fc2));
}

}  // namespace

TEST_CASE("Sequential: gradients through conv, relu, pool, flatten and linear match finite differences") {
    Rng rng(71);
    auto net = make_small_net(rng);
    const auto x = test::random_tensor(Shape{3, 2, 7, 5}, rng);
    test::require_gradients_ok(testing::check_layer_gradients(net, x));
}

TEST_CASE("Sequential: output shape, parameter names like PyTorch's, and the first layer's error") {
    Rng rng(72);
    auto net = make_small_net(rng);
    CHECK(net.output_shape(Shape{5, 2, 7, 5}) == Shape{5, 4});
    const auto params = net.params();
    REQUIRE(params.size() == 6);
    CHECK(params[0].name == "0.weight");
    CHECK(params[1].name == "0.bias");
    CHECK(params[2].name == "4.weight");
    CHECK(params[5].name == "6.bias");
    CHECK(count_parameters(params) == (3 * 2 * 9 + 3) + (18 * 6 + 6) + (6 * 4 + 4));
    Tensor<double> wrong(Shape{5, 1, 7, 5});
    test::require_shape_error([&] { net.forward(wrong); },
                              {"Sequential layer 0 of 7, for input [5, 1, 7, 5]: Conv2d(2, 3"});
    // A layer deep in the chain: its position and the chain's input, then its own message.
    test::require_shape_error(
        [&] {
            (void)net.output_shape(Shape{5, 2, 9, 9});
        },
        {"Sequential layer 4 of 7, for input [5, 2, 9, 9]: Linear(18, 6)", "[5, 48]"});
    test::require_shape_error(
        [&] {
            net.forward(Tensor<double>(Shape{5, 2, 9, 9}));
        },
        {"Sequential layer 4 of 7, for input [5, 2, 9, 9]: Linear(18, 6)"});
}

TEST_CASE("Sequential: forward_inspect sees each layer's index, name and output in order; name() lists them") {
    Rng rng(74);
    auto net = make_small_net(rng);
    CHECK(net.name() ==
          "Sequential(Conv2d(2, 3, kernel_size=3, stride=1, padding=1), ReLU, MaxPool2d(kernel_size=2, stride=2), "
          "Flatten, Linear(18, 6), ReLU, Linear(6, 4))");
    const auto x = test::random_tensor(Shape{2, 2, 7, 5}, rng);
    std::vector<std::size_t> indices;
    std::vector<std::string> names;
    std::vector<Shape> shapes;
    const auto& out = net.forward_inspect(x, [&](std::size_t index, const std::string& name, const Tensor<double>& y) {
        indices.push_back(index);
        names.push_back(name);
        shapes.push_back(y.shape());
    });
    // The training guards report "backbone layer <index>": the index must be the layer's own.
    CHECK(indices == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6});
    REQUIRE(names.size() == 7);
    CHECK(names[2] == "MaxPool2d(kernel_size=2, stride=2)");
    CHECK(names[4] == "Linear(18, 6)");
    CHECK(shapes[2] == Shape{2, 3, 3, 2});
    CHECK(shapes[6] == Shape{2, 4});
    // The same pass as forward.
    const Tensor<double> inspected = out;
    const auto& plain = net.forward(x);
    REQUIRE(plain.shape() == inspected.shape());
    CHECK(test::max_relative_difference(plain.data(), inspected.data(), plain.size()) == 0.0);
}

TEST_CASE("SeedCnn: the tutorial's backbone maps [N, 1, 28, 28] to [N, 84]") {
    Rng rng(73);
    auto net = make_seed_cnn<float>(rng);
    CHECK(net.output_shape(Shape{200, 1, 28, 28}) == Shape{200, 84});
    // 320 + 18,496 + 192,120 + 10,164 trainable scalars, as PyTorch counts them.
    CHECK(count_parameters(net.params()) == 320 + 18496 + 192120 + 10164);
    CHECK(net.name().find("Conv2d(32, 64, kernel_size=3") != std::string::npos);
}

TEST_CASE(
    "Every layer refuses its own output as input (it was overwritten while read: wrong values, or a heap overflow)") {
    Rng rng(4);
    // Square shapes, so that the output could go back in: Linear(4, 4), a padded conv, ReLU.
    auto refuses_own_output = [&](auto& layer, const Shape& input_shape) {
        using T = typename std::remove_cvref_t<decltype(layer)>::value_type;
        const Tensor<T> x = test::random_tensor(input_shape, rng);
        const Tensor<T>& y = layer.forward(x);
        CAPTURE(layer.name());
        const std::string expected = layer.name() + ": the input of forward is this layer's own output";
        CHECK_THROWS_WITH_AS(layer.forward(y), doctest::Contains(expected.c_str()), std::invalid_argument);
        // A copy of it is an ordinary input.
        const Tensor<T> copy = y;
        CHECK_NOTHROW(layer.forward(copy));
    };
    Linear<double> linear(4, 4, rng);
    refuses_own_output(linear, Shape{2, 4});
    Conv2d<double> conv(1, 1, 3, rng, {.stride = 1, .padding = 2});
    refuses_own_output(conv, Shape{1, 1, 4, 4});
    ConvReluPool<double> fused(1, 1, 3, rng, {.stride = 1, .padding = 2});
    refuses_own_output(fused, Shape{1, 1, 8, 8});
    MaxPool2d<double> pool(2);
    refuses_own_output(pool, Shape{1, 1, 8, 8});
    ReLU<double> relu;
    refuses_own_output(relu, Shape{2, 3});
    Flatten<double> flatten;
    refuses_own_output(flatten, Shape{2, 3});
}
