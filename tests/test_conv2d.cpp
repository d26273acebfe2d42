// SPDX-License-Identifier: MIT
#include "test_util.hpp"

using namespace siamese;

namespace {

struct ConvCase {
    index_t in, out, kernel, stride, padding, n, h, w;
};

}  // namespace

TEST_CASE("Conv2d: input and parameter gradients match finite differences") {
    // stride 1 and 2, padding 0 and 1, square and non-square, odd and even sizes.
    const ConvCase cases[] = {
        {1, 3, 3, 1, 0, 2, 7, 7}, {2, 3, 3, 1, 1, 2, 6, 5}, {2, 4, 3, 2, 0, 2, 9, 7},
        {3, 2, 2, 2, 1, 1, 5, 8}, {1, 2, 1, 1, 0, 3, 4, 3}, {2, 2, 5, 2, 1, 1, 11, 9},
    };
    Rng rng(21);
    for (const auto& c : cases) {
        CAPTURE(c.kernel);
        CAPTURE(c.stride);
        CAPTURE(c.padding);
        CAPTURE(c.h);
        CAPTURE(c.w);
        Conv2d<double> conv(c.in, c.out, c.kernel, rng, {.stride = c.stride, .padding = c.padding});
        const auto x = test::random_tensor(Shape{c.n, c.in, c.h, c.w}, rng);
        // Conv2d is linear in its input and weights: a large step has no truncation error and
        // 100x less rounding noise than the default 1e-5, which sits at the tolerance for small
        // derivatives (f ~ 1.5 carries ~1e-11 of noise per derivative at step 1e-5).
        test::require_gradients_ok(testing::check_layer_gradients(conv, x, {.epsilon = 1e-3}));
    }
}

TEST_CASE("Conv2d: one sample whose GEMMs the threads split, with one thread and two") {
    // A batch of one runs the GEMMs multi-threaded; the weight gradient once took the second
    // thread's packing buffer for a partial gradient (192 channels make that GEMM the largest).
    for (int threads : {1, 2}) {
        CAPTURE(threads);
        set_num_threads(threads);
        Rng rng(22);
        Conv2d<double> conv(8, 192, 3, rng);
        const auto x = test::random_tensor(Shape{1, 8, 16, 16}, rng);
        test::require_gradients_ok(
            testing::check_layer_gradients(conv, x, {.epsilon = 1e-3, .max_checks_per_tensor = 200}));
    }
    set_num_threads(0);
}

TEST_CASE("Conv2d: output shape, parameters and PyTorch-style initialisation") {
    Rng rng(22);
    Conv2d<float> conv(3, 8, 3, rng, {.stride = 2, .padding = 1});
    CHECK(conv.output_shape(Shape{4, 3, 28, 28}) == Shape{4, 8, 14, 14});
    const auto params = conv.params();
    REQUIRE(params.size() == 2);
    CHECK(params[0].name == "weight");
    CHECK(params[0].value->shape() == Shape{8, 3, 3, 3});
    CHECK(params[1].value->shape() == Shape{8});
    const float bound = 1.0f / std::sqrt(27.0f);
    for (float v : conv.weight()) CHECK(std::abs(v) <= bound);
}

TEST_CASE("Conv2d: a wrong input shape names the layer and both shapes") {
    Rng rng(23);
    Conv2d<float> conv(1, 32, 3, rng);
    Tensor<float> x(Shape{2, 3, 28, 28});
    test::require_shape_error([&] { conv.forward(x); },
                              {"Conv2d(1, 32, kernel_size=3", "[N, 1, H, W]", "[2, 3, 28, 28]"});
    Tensor<float> tiny(Shape{1, 1, 2, 2});
    test::require_shape_error([&] { conv.forward(tiny); }, {"Conv2d", "[1, 1, 2, 2]"});
    Tensor<float> flat(Shape{2, 784});
    test::require_shape_error([&] { conv.forward(flat); }, {"[2, 784]"});
    // Padding wider than the kernel still needs an input of at least 1 x 1: the message says 1,
    // not the negative k - 2p.
    Conv2d<float> padded(1, 2, 1, rng, {.padding = 1});
    Tensor<float> no_rows(Shape{1, 1, 0, 4});
    test::require_shape_error([&] { padded.forward(no_rows); }, {"[N, 1, H, W] with H, W >= 1,", "[1, 1, 0, 4]"});
}

TEST_CASE("Conv2d: a configuration that makes no sense is refused, naming the layer") {
    Rng rng(24);
    test::require_shape_error([&] { Conv2d<float>(0, 32, 3, rng); }, {"Conv2d: invalid configuration Conv2d(0, 32"});
    test::require_shape_error([&] { Conv2d<float>(1, 32, 0, rng); }, {"kernel_size=0"});
    test::require_shape_error([&] { Conv2d<float>(1, 32, 3, rng, {.stride = 0}); }, {"stride=0"});
    test::require_shape_error([&] { Conv2d<float>(1, 32, 3, rng, {.padding = -1}); }, {"padding=-1"});
    // H + 2 padding overflowed (undefined behaviour, then a negative output size).
    test::require_shape_error([&] { Conv2d<float>(1, 1, 3, rng, {.padding = index_t{1} << 62}); },
                              {"Conv2d: invalid configuration", "padding=4611686018427387904"});
    // A weight count beyond 64 bits (C * k * k alone overflows): refused before anything is sized.
    test::require_shape_error([&] { Conv2d<float>(index_t{1} << 20, 1, index_t{1} << 22, rng); },
                              {"Conv2d: invalid configuration Conv2d(1048576, 1, kernel_size=4194304",
                               "more elements than index_t can count"});
}

TEST_CASE("Conv2d: backward needs a forward and a gradient of the output shape") {
    Rng rng(24);
    Conv2d<float> conv(1, 2, 3, rng);
    Tensor<float> g(Shape{1, 2, 3, 3});
    CHECK_THROWS_AS(conv.backward(g), std::logic_error);
    Tensor<float> x(Shape{1, 1, 5, 5});
    conv.forward(x);
    CHECK_NOTHROW(conv.backward(g));
    Tensor<float> wrong(Shape{1, 2, 4, 4});
    test::require_shape_error([&] { conv.backward(wrong); }, {"Conv2d", "[1, 2, 3, 3]", "[1, 2, 4, 4]"});
}

TEST_CASE("Conv2d: parameter gradients accumulate; set_input_grad(false) skips dL/dx") {
    Rng rng(25);
    Conv2d<double> conv(1, 2, 3, rng);
    const auto x = test::random_tensor(Shape{2, 1, 5, 5}, rng);
    const auto g = test::random_tensor(Shape{2, 2, 3, 3}, rng);
    conv.forward(x);
    conv.backward(g);
    const Tensor<double> once = *conv.params()[0].grad;
    conv.forward(x);
    conv.backward(g);
    const Tensor<double>& twice = *conv.params()[0].grad;
    for (index_t i = 0; i < once.size(); ++i) CHECK(twice[i] == doctest::Approx(2 * once[i]));

    conv.set_input_grad(false);
    conv.forward(x);
    CHECK(conv.backward(g).empty());
}
