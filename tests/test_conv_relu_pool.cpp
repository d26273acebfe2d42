// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <algorithm>
#include <utility>
#include <vector>

using namespace siamese;

namespace {

struct Case {
    index_t in, out, kernel, stride, padding, n, h, w;
};

// stride 1 and 2, padding 0 and 1, odd conv outputs (last row/column dropped by the pool),
// one input channel (dense gradient paths) and many (vectorised over channels).
const Case cases[] = {
    {1, 3, 3, 1, 0, 2, 8, 8}, {2, 3, 3, 1, 1, 2, 6, 5},  {2, 4, 3, 2, 0, 2, 9, 11},  {3, 2, 2, 2, 1, 1, 5, 8},
    {1, 2, 1, 1, 0, 3, 4, 3}, {20, 5, 3, 1, 0, 2, 7, 6}, {33, 17, 3, 1, 1, 1, 5, 5},
};

template <class T>
void copy_weights(ConvReluPool<T>& fused, Conv2d<T>& conv) {
    std::copy(fused.weight().begin(), fused.weight().end(), conv.weight().begin());
    std::copy(fused.bias().begin(), fused.bias().end(), conv.bias().begin());
}

}  // namespace

TEST_CASE("ConvReluPool: input and parameter gradients match finite differences") {
    Rng rng(41);
    for (const auto& c : cases) {
        CAPTURE(c.in);
        CAPTURE(c.kernel);
        CAPTURE(c.stride);
        CAPTURE(c.padding);
        CAPTURE(c.h);
        CAPTURE(c.w);
        ConvReluPool<double> layer(c.in, c.out, c.kernel, rng, {.stride = c.stride, .padding = c.padding});
        const auto x = test::random_tensor(Shape{c.n, c.in, c.h, c.w}, rng);
        // The layer is piecewise linear: a step of 1e-3 has no truncation error inside a piece and
        // 100x less rounding noise than 1e-5; a step that crosses a ReLU or argmax change fails
        // and is retried at 1e-4 and 1e-5 by the checker.
        test::require_gradients_ok(testing::check_layer_gradients(layer, x, {.epsilon = 1e-3}));
    }
}

TEST_CASE_TEMPLATE("ConvReluPool equals Sequential<Conv2d, ReLU, MaxPool2d> with the same weights", T, double, float) {
    Rng rng(42);
    const bool is_double = std::is_same_v<T, double>;
    for (const auto& c : cases) {
        CAPTURE(c.in);
        CAPTURE(c.kernel);
        CAPTURE(c.stride);
        CAPTURE(c.padding);
        // Same rng draws: both layers start from identical weights.
        Rng a(7), b(7);
        ConvReluPool<T> fused(c.in, c.out, c.kernel, a, {.stride = c.stride, .padding = c.padding});
        Sequential<Conv2d<T>, ReLU<T>, MaxPool2d<T>> plain(
            Conv2d<T>(c.in, c.out, c.kernel, b, {.stride = c.stride, .padding = c.padding}), ReLU<T>(),
            MaxPool2d<T>(2));
        CHECK(std::equal(fused.weight().begin(), fused.weight().end(), plain.template layer<0>().weight().begin()));
        const auto x = test::random_tensor<T>(Shape{c.n, c.in, c.h, c.w}, rng);
        CHECK(fused.output_shape(x.shape()) == plain.output_shape(x.shape()));

        const Tensor<T> y = fused.forward(x);
        const Tensor<T>& y_ref = plain.forward(x);
        REQUIRE(y.shape() == y_ref.shape());
        const double tol = is_double ? 1e-12 : 1e-5;
        CHECK(test::max_relative_difference(y.data(), y_ref.data(), y.size(), 1.0) <= tol);

        const auto g = test::random_tensor<T>(y.shape(), rng);
        const Tensor<T> dx = fused.backward(g);
        const Tensor<T>& dx_ref = plain.backward(g);
        CHECK(test::max_relative_difference(dx.data(), dx_ref.data(), dx.size(), 1.0) <= tol);
        const auto p = fused.params();
        const auto q = plain.params();
        REQUIRE(p.size() == q.size());
        for (std::size_t i = 0; i < p.size(); ++i) {
            CAPTURE(i);
            CHECK(test::max_relative_difference(p[i].grad->data(), q[i].grad->data(), p[i].grad->size(), 1.0) <= tol);
        }
    }
}

TEST_CASE("ConvReluPool: the tutorial's shapes, float, against the unfused layers at batch 20") {
    Rng rng(43);
    for (const auto& [in, out, side] : {std::tuple<index_t, index_t, index_t>{1, 32, 28}, {32, 64, 13}}) {
        Rng a(9), b(9);
        ConvReluPool<float> fused(in, out, 3, a);
        Sequential<Conv2d<float>, ReLU<float>, MaxPool2d<float>> plain(Conv2d<float>(in, out, 3, b), ReLU<float>(),
                                                                       MaxPool2d<float>(2));
        const auto x = test::random_tensor<float>(Shape{20, in, side, side}, rng, 0, 1);
        const Tensor<float> y = fused.forward(x);
        const Tensor<float>& y_ref = plain.forward(x);
        REQUIRE(y.shape() == Shape{20, out, (side - 2) / 2, (side - 2) / 2});
        CHECK(test::max_relative_difference(y.data(), y_ref.data(), y.size(), 1.0) <= 1e-5);
        const auto g = test::random_tensor<float>(y.shape(), rng);
        const Tensor<float> dx = fused.backward(g);
        const Tensor<float>& dx_ref = plain.backward(g);
        CHECK(test::max_relative_difference(dx.data(), dx_ref.data(), dx.size(), 1.0) <= 1e-5);
        const auto p = fused.params();
        const auto q = plain.params();
        for (std::size_t i = 0; i < p.size(); ++i) {
            // Weight gradients sum 20 x 121 products: compare at the scale of their magnitude.
            CHECK(test::max_relative_difference(p[i].grad->data(), q[i].grad->data(), p[i].grad->size(), 10.0) <= 1e-5);
        }
    }
}

TEST_CASE("ConvReluPool: shapes, names, parameters and initialisation follow Conv2d") {
    Rng a(44), b(44);
    ConvReluPool<float> layer(3, 8, 3, a, {.stride = 2, .padding = 1});
    Conv2d<float> conv(3, 8, 3, b, {.stride = 2, .padding = 1});
    CHECK(layer.output_shape(Shape{4, 3, 28, 28}) == Shape{4, 8, 7, 7});
    CHECK(layer.name().find("Conv2d(3, 8, kernel_size=3, stride=2, padding=1)") != std::string::npos);
    const auto params = layer.params();
    REQUIRE(params.size() == 2);
    CHECK(params[0].name == "weight");
    CHECK(params[1].name == "bias");
    CHECK(std::equal(layer.weight().begin(), layer.weight().end(), conv.weight().begin()));
    CHECK(std::equal(layer.bias().begin(), layer.bias().end(), conv.bias().begin()));
    CHECK(a.state() == b.state());
}

TEST_CASE("ConvReluPool: wrong inputs, backward before forward, wrong gradient shape") {
    Rng rng(45);
    ConvReluPool<float> layer(1, 4, 3, rng);
    Tensor<float> x(Shape{2, 3, 28, 28});
    test::require_shape_error([&] { layer.forward(x); }, {"ConvReluPool", "[N, 1, H, W]", "[2, 3, 28, 28]"});
    Tensor<float> tiny(Shape{1, 1, 3, 3});  // conv output 1x1: no 2x2 window
    test::require_shape_error([&] { layer.forward(tiny); }, {"ConvReluPool", "[1, 1, 3, 3]"});
    Tensor<float> g(Shape{1, 4, 1, 1});
    CHECK_THROWS_AS(layer.backward(g), std::logic_error);
    Tensor<float> ok(Shape{1, 1, 4, 4});
    CHECK(layer.forward(ok).shape() == Shape{1, 4, 1, 1});
    CHECK_NOTHROW(layer.backward(g));
    Tensor<float> wrong(Shape{1, 4, 2, 2});
    test::require_shape_error([&] { layer.backward(wrong); }, {"ConvReluPool", "[1, 4, 1, 1]", "[1, 4, 2, 2]"});
    // Stride 2: a conv output of 2 rows needs H >= k + s = 5 (H = 4 gives one row, no window).
    ConvReluPool<float> strided(1, 4, 3, rng, {.stride = 2});
    Tensor<float> four(Shape{1, 1, 4, 4});
    test::require_shape_error([&] { strided.forward(four); }, {"[N, 1, H, W] with H, W >= 5,", "[1, 1, 4, 4]"});
    CHECK(strided.output_shape(Shape{1, 1, 5, 5}) == Shape{1, 4, 1, 1});
    // Padding past k + s: the bound shown is 1, not k + s - 2p = 0.
    ConvReluPool<float> padded(1, 4, 1, rng, {.padding = 1});
    Tensor<float> no_rows(Shape{1, 1, 0, 4});
    test::require_shape_error([&] { padded.forward(no_rows); }, {"[N, 1, H, W] with H, W >= 1,", "[1, 1, 0, 4]"});
}

TEST_CASE("ConvReluPool: a configuration that makes no sense is refused, naming the layer") {
    Rng rng(46);
    test::require_shape_error([&] { ConvReluPool<float>(1, 0, 3, rng); },
                              {"ConvReluPool: invalid configuration Conv2d(1, 0"});
    test::require_shape_error([&] { ConvReluPool<float>(1, 4, 3, rng, {.stride = 0}); }, {"ConvReluPool", "stride=0"});
}

TEST_CASE("ConvReluPool: a pre-activation of exactly 0 passes no gradient, as ReLU's does not") {
    // All-zero patches with a zero bias (MNIST's background, padding) give conv outputs of exactly
    // 0: the ReLU must block them, or db and dx fill with gradient the unfused layers never see.
    // One input channel (the dense path) and 20 (vectorised over channels), padding or not.
    for (const index_t channels : {index_t{1}, index_t{20}}) {
        for (const index_t padding : {index_t{0}, index_t{1}}) {
            CAPTURE(channels);
            CAPTURE(padding);
            Rng a(9), b(9);
            ConvReluPool<double> fused(channels, 4, 3, a, {.padding = padding});
            Sequential<Conv2d<double>, ReLU<double>, MaxPool2d<double>> plain(
                Conv2d<double>(channels, 4, 3, b, {.padding = padding}), ReLU<double>(), MaxPool2d<double>(2));
            std::fill(fused.bias().begin(), fused.bias().end(), 0.0);
            std::fill(plain.layer<0>().bias().begin(), plain.layer<0>().bias().end(), 0.0);
            const Tensor<double> x(Shape{2, channels, 6, 6}, 0.0);
            const Tensor<double> y = fused.forward(x);
            const Tensor<double> dy(y.shape(), 1.0);
            const Tensor<double> dx = fused.backward(dy);
            plain.forward(x);
            const Tensor<double>& dx_plain = plain.backward(dy);
            for (const double g : dx) CHECK(g == 0.0);
            for (const double g : dx_plain) CHECK(g == 0.0);
            for (const auto& p : fused.params()) {
                for (const double g : *p.grad) CHECK(g == 0.0);
            }
        }
    }
}

TEST_CASE("ConvReluPool: parameter gradients accumulate; set_input_grad(false) skips dL/dx") {
    Rng rng(46);
    ConvReluPool<double> layer(2, 3, 3, rng);
    const auto x = test::random_tensor(Shape{2, 2, 8, 8}, rng);
    const auto g = test::random_tensor(Shape{2, 3, 3, 3}, rng);
    layer.forward(x);
    layer.backward(g);
    const Tensor<double> once = *layer.params()[0].grad;
    layer.forward(x);
    layer.backward(g);
    const Tensor<double>& twice = *layer.params()[0].grad;
    for (index_t i = 0; i < once.size(); ++i) CHECK(twice[i] == doctest::Approx(2 * once[i]));

    layer.set_input_grad(false);
    layer.forward(x);
    CHECK(layer.backward(g).empty());
}

TEST_CASE_TEMPLATE("ConvReluPool channels-last hand-over equals the NCHW chain, values and gradients", T, double,
                   float) {
    Rng rng(47);
    const bool is_double = std::is_same_v<T, double>;
    const double tol = is_double ? 1e-12 : 1e-5;
    struct Sizes {
        index_t c1, c2, side, stride;
    };
    for (const Sizes& sizes : {Sizes{1, 32, 28, 1}, Sizes{3, 20, 17, 1}, Sizes{2, 5, 23, 2}}) {
        // Plain variables: CAPTURE's lambda cannot capture a structured binding before clang 16.
        const index_t c1 = sizes.c1, c2 = sizes.c2, side = sizes.side, stride = sizes.stride;
        CAPTURE(c1);
        CAPTURE(c2);
        Rng a(11), b(11);
        ConvReluPool<T> p1(c1, 8, 3, a, {.stride = stride}), p2(8, c2, 3, a);
        ConvReluPool<T> q1(c1, 8, 3, b, {.stride = stride}), q2(8, c2, 3, b);
        q1.set_channels_last(false, true);
        q2.set_channels_last(true, false);
        const auto x = test::random_tensor<T>(Shape{3, c1, side, side}, rng);
        const Tensor<T> y_ref = p2.forward(p1.forward(x));
        const Tensor<T>& h = q1.forward(x);
        CHECK(h.shape() == Shape{3, p1.output_shape(x.shape())[2], p1.output_shape(x.shape())[3], 8});
        const Tensor<T>& y = q2.forward(h);
        REQUIRE(y.shape() == y_ref.shape());
        CHECK(test::max_relative_difference(y.data(), y_ref.data(), y.size(), 1.0) <= tol);
        const auto g = test::random_tensor<T>(y.shape(), rng);
        const Tensor<T> dx_ref = p1.backward(p2.backward(g));
        const Tensor<T> dx = q1.backward(q2.backward(g));
        CHECK(test::max_relative_difference(dx.data(), dx_ref.data(), dx.size(), 1.0) <= tol);
        const auto pp = p1.params(), qq = q1.params(), pp2 = p2.params(), qq2 = q2.params();
        for (std::size_t i = 0; i < 2; ++i) {
            CHECK(test::max_relative_difference(pp[i].grad->data(), qq[i].grad->data(), pp[i].grad->size(), 1.0) <=
                  tol);
            CHECK(test::max_relative_difference(pp2[i].grad->data(), qq2[i].grad->data(), pp2[i].grad->size(), 1.0) <=
                  tol);
        }
    }
}

TEST_CASE("ConvReluPool channels-last: gradients match finite differences; padding is refused") {
    Rng rng(48);
    ConvReluPool<double> layer(5, 4, 3, rng);
    layer.set_channels_last(true, true);
    const auto x = test::random_tensor(Shape{2, 8, 7, 5}, rng);  // [N, H, W, C]
    CHECK(layer.output_shape(x.shape()) == Shape{2, 3, 2, 4});
    test::require_gradients_ok(testing::check_layer_gradients(layer, x, {.epsilon = 1e-3}));
    test::require_shape_error([&] { (void)layer.output_shape(Shape{2, 5, 8, 7}); }, {"[N, H, W, 5]", "[2, 5, 8, 7]"});
    ConvReluPool<double> padded(2, 2, 3, rng, {.padding = 1});
    CHECK_THROWS_AS(padded.set_channels_last(true, false), shape_error);
}

namespace {

// Every parameter gradient of `model`, copied out, zeroing them for the next check.
template <class Model>
std::vector<Tensor<float>> take_grads(Model& model) {
    std::vector<Tensor<float>> grads;
    for (const auto& p : model.params()) {
        grads.push_back(*p.grad);
        p.grad->zero();
    }
    return grads;
}

void check_same_grads(const std::vector<Tensor<float>>& got, const std::vector<Tensor<float>>& want) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        REQUIRE(got[i].shape() == want[i].shape());
        CHECK(test::max_relative_difference(got[i].data(), want[i].data(), got[i].size(), 1.0) <= 1e-5);
    }
}

}  // namespace

TEST_CASE("SeedCnn: a copy made after forward backpropagates its own buffers, not the original's") {
    // conv2 keeps a reference to conv1's output; the implicit copy carried it, so the copy's
    // backward read the original's conv1 output, overwritten by the original's next forward.
    Rng rng(49);
    SeedCnn<float> original = make_seed_cnn<float>(rng);
    SeedCnn<float> reference = original;
    const auto x1 = test::random_tensor<float>(Shape{2, 1, 28, 28}, rng);
    const auto x2 = test::random_tensor<float>(Shape{2, 1, 28, 28}, rng);
    const auto g = test::random_tensor<float>(Shape{2, seed_cnn_embedding_dim}, rng);
    reference.forward(x1);
    reference.backward(g);
    const auto want = take_grads(reference);

    original.forward(x1);
    SeedCnn<float> copy = original;
    SeedCnn<float> assigned = make_seed_cnn<float>(rng);
    assigned = original;
    original.forward(x2);
    take_grads(copy);
    copy.backward(g);
    check_same_grads(take_grads(copy), want);
    take_grads(assigned);
    assigned.backward(g);
    check_same_grads(take_grads(assigned), want);
}

TEST_CASE("SeedCnn: a model moved after forward backpropagates correctly; the moved-from one throws") {
    // After a move, conv2's reference pointed into the moved-from conv1 (emptied): a crash.
    Rng rng(50);
    SeedCnn<float> original = make_seed_cnn<float>(rng);
    SeedCnn<float> reference = original;
    const auto x = test::random_tensor<float>(Shape{2, 1, 28, 28}, rng);
    const auto g = test::random_tensor<float>(Shape{2, seed_cnn_embedding_dim}, rng);
    reference.forward(x);
    reference.backward(g);
    const auto want = take_grads(reference);

    original.forward(x);
    std::vector<SeedCnn<float>> models;
    models.push_back(std::move(original));
    take_grads(models[0]);
    models[0].backward(g);
    check_same_grads(take_grads(models[0]), want);
    SeedCnn<float> assigned = make_seed_cnn<float>(rng);
    models[0].forward(x);
    assigned = std::move(models[0]);
    take_grads(assigned);
    assigned.backward(g);
    check_same_grads(take_grads(assigned), want);
    // The moved-from model (empty buffers, no reference) refuses instead of reading freed memory.
    CHECK_THROWS(models[0].backward(g));
    CHECK_THROWS(models[0].layer<1>().backward(Tensor<float>(Shape{2, 64, 5, 5})));
}

TEST_CASE("ConvReluPool channels-last: a copy does not read the input the original borrowed") {
    Rng rng(51);
    ConvReluPool<float> layer(3, 4, 3, rng);
    layer.set_channels_last(true, false);
    const auto x = test::random_tensor<float>(Shape{2, 6, 6, 3}, rng);  // [N, H, W, C]
    const Tensor<float>& y = layer.forward(x);
    const Tensor<float> g(y.shape(), 1.0f);
    ConvReluPool<float> copy = layer;
    test::require_error<std::logic_error>([&] { copy.backward(g); },
                                          {"ConvReluPool(Conv2d(3, 4", "copied or moved", "run forward first"});
    copy.forward(x);
    CHECK_NOTHROW(copy.backward(g));
    CHECK_NOTHROW(layer.backward(g));  // the original keeps its reference
}
