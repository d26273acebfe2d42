// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <cstdint>

using namespace siamese;

TEST_CASE("Shape: rank, numel, equality and printing") {
    const Shape s{2, 3, 4, 5};
    CHECK(s.rank() == 4);
    CHECK(s.numel() == 120);
    CHECK(s.sample_size() == 60);
    CHECK(s.str() == "[2, 3, 4, 5]");
    CHECK(s == Shape{2, 3, 4, 5});
    CHECK_FALSE(s == Shape{2, 3, 4});
    CHECK(Shape{}.numel() == 0);
    CHECK(s.with_batch(7) == Shape{7, 3, 4, 5});
    CHECK_THROWS_AS((Shape{1, 2, 3, 4, 5}), shape_error);
    CHECK_THROWS_AS((Shape{2, -1}), shape_error);
}

TEST_CASE("Tensor: zero-filled, 64-byte aligned, row-major NCHW") {
    Tensor<float> t(Shape{2, 3, 4, 5});
    CHECK(t.size() == 120);
    CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
    for (float v : t) CHECK(v == 0.0f);
    t(1, 2, 3, 4) = 7.0f;
    CHECK(t[((1 * 3 + 2) * 4 + 3) * 5 + 4] == 7.0f);
    CHECK(t.data()[119] == 7.0f);
    Tensor<double> d(Shape{3}, 2.5);
    CHECK(d(2) == 2.5);
}

TEST_CASE("Tensor: checked element access rejects bad indices") {
    Tensor<float> t(Shape{2, 3});
    CHECK_THROWS_AS((void)t(2, 0), std::out_of_range);
    CHECK_THROWS_AS((void)t(0, -1), std::out_of_range);
    CHECK_THROWS_AS((void)t(0), std::out_of_range);  // wrong number of indices
    CHECK_NOTHROW((void)t(1, 2));
}

TEST_CASE("Tensor: reshape is copy-free and checks the element count") {
    Tensor<float> t(Shape{2, 6});
    for (index_t i = 0; i < t.size(); ++i) t[i] = static_cast<float>(i);
    const float* before = t.data();
    t.reshape(Shape{2, 3, 2});
    CHECK(t.data() == before);
    CHECK(t(1, 2, 1) == 11.0f);
    test::require_shape_error([&] { t.reshape(Shape{5}); }, {"[2, 3, 2]", "[5]"});
    auto v = t.view(Shape{12});
    CHECK(v.data == before);
    CHECK(v.shape == Shape{12});
}

TEST_CASE("Tensor: resize reuses storage that is large enough") {
    Tensor<float> t(Shape{10, 10});
    const float* before = t.data();
    t.resize(Shape{5, 10});
    CHECK(t.data() == before);
    t.resize(Shape{10, 10});
    CHECK(t.data() == before);
    t.resize(Shape{20, 10});
    CHECK(t.capacity() >= 200);
}

TEST_CASE("Tensor: copies are deep, moves steal") {
    Tensor<double> a(Shape{3}, 1.0);
    Tensor<double> b = a;
    b[0] = 5;
    CHECK(a[0] == 1.0);
    const double* storage = b.data();
    Tensor<double> c = std::move(b);
    CHECK(c.data() == storage);
    CHECK(c[0] == 5.0);
}

TEST_CASE("as_matrix maps the tensor as [dim0, rest] row-major") {
    Tensor<float> t(Shape{2, 3, 2});
    for (index_t i = 0; i < t.size(); ++i) t[i] = static_cast<float>(i);
    auto m = as_matrix(t);
    CHECK(m.rows() == 2);
    CHECK(m.cols() == 6);
    CHECK(m(1, 4) == 10.0f);
    m(0, 1) = -1.0f;
    CHECK(t[1] == -1.0f);
}
