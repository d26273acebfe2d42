// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

using namespace siamese;

namespace {

/// Distinct values 0.01 apart in random order: no ties inside any window, so finite differences
/// of size 1e-5 never change which element is the maximum.
Tensor<double> distinct_values(const Shape& shape, Rng& rng) {
    Tensor<double> t(shape);
    std::vector<index_t> order(static_cast<std::size_t>(t.size()));
    std::iota(order.begin(), order.end(), 0);
    for (std::size_t i = order.size(); i > 1; --i)
        std::swap(order[i - 1], order[static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(i)))]);
    for (index_t i = 0; i < t.size(); ++i) t[i] = 0.01 * static_cast<double>(order[static_cast<std::size_t>(i)]) - 1.0;
    return t;
}

}  // namespace

TEST_CASE("MaxPool2d: input gradient matches finite differences, odd sizes and overlapping windows") {
    Rng rng(31);
    struct Case {
        index_t kernel, stride, n, c, h, w;
    };
    for (const Case c : {Case{2, 2, 2, 3, 7, 5}, Case{2, 2, 1, 2, 6, 6}, Case{3, 2, 2, 2, 9, 7}, Case{3, 1, 1, 1, 5, 6},
                         Case{2, 1, 1, 2, 5, 5}}) {
        CAPTURE(c.kernel);
        CAPTURE(c.stride);
        MaxPool2d<double> pool(c.kernel, c.stride);
        const auto x = distinct_values(Shape{c.n, c.c, c.h, c.w}, rng);
        test::require_gradients_ok(testing::check_layer_gradients(pool, x));
    }
}

TEST_CASE("MaxPool2d: forward takes window maxima and drops a partial border window") {
    MaxPool2d<float> pool(2);
    Tensor<float> x(Shape{1, 1, 3, 5});
    for (index_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
    const auto& y = pool.forward(x);
    CHECK(y.shape() == Shape{1, 1, 1, 2});
    CHECK(y[0] == 6.0f);
    CHECK(y[1] == 8.0f);
    // backward routes to the argmax only
    Tensor<float> g(Shape{1, 1, 1, 2}, 1.0f);
    const auto& dx = pool.backward(g);
    float total = 0;
    for (float v : dx) total += v;
    CHECK(total == 2.0f);
    CHECK(dx[6] == 1.0f);
    CHECK(dx[8] == 1.0f);
}

TEST_CASE("MaxPool2d: the first maximum wins a tie, and only it receives the gradient") {
    // ReLU makes ties common (every negative becomes 0); the fused ConvReluPool must break them
    // the same way, so the rule is pinned here.
    MaxPool2d<float> pool(2);
    Tensor<float> x(Shape{1, 1, 2, 4});
    const float v[] = {3, 3, 0, 0, 0, 0, 0, 0};  // window 0: 3, 3 on top; window 1: all zero
    std::copy_n(v, 8, x.data());
    const auto& y = pool.forward(x);
    CHECK(y[0] == 3.0f);
    CHECK(y[1] == 0.0f);
    const auto& dx = pool.backward(Tensor<float>(Shape{1, 1, 1, 2}, 1.0f));
    const float expected[] = {1, 0, 1, 0, 0, 0, 0, 0};
    for (index_t i = 0; i < 8; ++i) {
        CAPTURE(i);
        CHECK(dx[i] == expected[i]);
    }
}

TEST_CASE("MaxPool2d: shape errors name the layer and the shape") {
    MaxPool2d<float> pool(2);
    Tensor<float> x(Shape{1, 1, 1, 5});
    test::require_shape_error([&] { pool.forward(x); }, {"MaxPool2d(kernel_size=2, stride=2)", "[1, 1, 1, 5]"});
    Tensor<float> flat(Shape{4, 10});
    test::require_shape_error([&] { pool.forward(flat); }, {"MaxPool2d", "[4, 10]"});
    Tensor<float> no_channels(Shape{1, 0, 4, 4});
    test::require_shape_error([&] { pool.forward(no_channels); }, {"MaxPool2d", "[1, 0, 4, 4]"});
    CHECK(pool.params().empty());
}

TEST_CASE("MaxPool2d: stride 0 means the kernel size; a negative stride or a kernel below 1 is a shape_error") {
    // A negative stride used to become the kernel size silently, like the default 0.
    CHECK(MaxPool2d<float>(3).name() == "MaxPool2d(kernel_size=3, stride=3)");
    CHECK(MaxPool2d<float>(3, 0).name() == "MaxPool2d(kernel_size=3, stride=3)");
    CHECK(MaxPool2d<float>(3, 1).name() == "MaxPool2d(kernel_size=3, stride=1)");
    test::require_shape_error([] { MaxPool2d<float>(2, -1); },
                              {"MaxPool2d: invalid configuration kernel_size=2, stride=-1"});
    test::require_shape_error([] { MaxPool2d<float>(0); },
                              {"MaxPool2d: invalid configuration kernel_size=0, stride=0"});
    test::require_shape_error([] { MaxPool2d<float>(-2, 1); }, {"MaxPool2d", "kernel_size=-2"});
}
