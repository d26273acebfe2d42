// SPDX-License-Identifier: MIT
#include "failing_allocation.hpp"
#include "test_util.hpp"

#include <cstdint>
#include <limits>
#include <new>
#include <stdexcept>

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
    CHECK(Shape{}.sample_size() == 0);  // no samples, so no sample size (not the empty product 1)
    CHECK(Shape{5}.sample_size() == 1);
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
    // A view of another element count would read past the storage or leave elements out.
    test::require_shape_error([&] { (void)t.view(Shape{13}); }, {"Tensor::view", "[2, 3, 2]", "[13]"});
    const Tensor<float>& read_only = t;
    test::require_shape_error([&] { (void)read_only.view(Shape{3, 3}); }, {"Tensor::view", "[3, 3]"});
    const auto w = read_only.view(Shape{3, 4});
    CHECK(w.data == before);
    CHECK(w.shape == Shape{3, 4});
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

TEST_CASE("Tensor: a moved-from tensor is a valid empty tensor, by construction and by assignment") {
    // The defaulted moves kept the shape over null storage: size() 3, data() null, fill() crashed.
    Tensor<float> a(Shape{3}, 1.0f);
    Tensor<float> b = std::move(a);
    CHECK(a.shape() == Shape{});  // the moved-from state is what is tested
    CHECK(a.size() == 0);
    CHECK(a.empty());
    a.fill(2.0f);  // touches nothing
    CHECK_THROWS_AS((void)a(0), std::out_of_range);
    Tensor<float> c(Shape{2, 2});
    c = std::move(b);
    CHECK(c.shape() == Shape{3});
    CHECK(c[2] == 1.0f);
    CHECK(b.shape() == Shape{});
    CHECK(b.empty());
    // A moved-from tensor can be used again.
    b.resize(Shape{2});
    b.fill(4.0f);
    CHECK(b[1] == 4.0f);
}

TEST_CASE("copy_into: from a const view and from a mutable one, resizing the destination") {
    Tensor<float> src(Shape{2, 3});
    for (index_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i);
    const Tensor<float>& read_only = src;
    Tensor<float> a, b(Shape{7});
    copy_into(a, read_only.view());
    copy_into(b, src.view());  // a TensorView<float>: did not compile (T deduced from both arguments)
    CHECK(a.shape() == Shape{2, 3});
    CHECK(b.shape() == Shape{2, 3});
    for (index_t i = 0; i < src.size(); ++i) {
        CHECK(a[i] == src[i]);
        CHECK(b[i] == src[i]);
    }
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

TEST_CASE("Shape: an element count beyond index_t is a shape_error naming the shape") {
    constexpr index_t max = std::numeric_limits<index_t>::max();
    test::require_shape_error(
        [] {
            (void)Shape{index_t{1} << 32, index_t{1} << 32};
        },
        {"Shape", "[4294967296, 4294967296]", "more elements than index_t", "9223372036854775807"});
    test::require_shape_error([] { (void)Shape{2, 3, index_t{1} << 21, index_t{1} << 42}; }, {"[2, 3, 2097152"});
    // A zero batch does not hide a sample size that overflows.
    test::require_shape_error([] { (void)Shape{0, index_t{1} << 40, index_t{1} << 40}; }, {"[0, 1099511627776"});
    // The largest counts that fit are fine.
    CHECK(Shape{max}.numel() == max);
    CHECK(Shape{1, max, 1}.sample_size() == max);
    CHECK(Shape{index_t{1} << 31, index_t{1} << 31}.numel() == index_t{1} << 62);
    CHECK(Shape{0, max}.numel() == 0);
    CHECK_THROWS_AS((Shape{max, 2}), shape_error);
    // with_batch checks the same, and refuses a negative batch.
    const Shape s{1, index_t{1} << 40};
    CHECK(s.with_batch(1 << 20) == Shape{1 << 20, index_t{1} << 40});
    test::require_shape_error([&] { (void)s.with_batch(index_t{1} << 40); },
                              {"Shape::with_batch", "[1099511627776, 1099511627776]"});
    test::require_shape_error([&] { (void)s.with_batch(-1); }, {"Shape::with_batch", "negative dimension -1"});
    // A shape of rank 0 has no batch dimension: it came back as [] without a word.
    test::require_shape_error([&] { (void)Shape{}.with_batch(5); }, {"Shape::with_batch: the shape [] has no first"});
}

TEST_CASE("Tensor: storage whose byte count overflows is refused, never wrapped") {
    // 2^62 floats are 2^64 bytes: the byte count used to wrap to 0 (a 1-byte buffer of "size 2^62").
    CHECK_THROWS_AS(Tensor<float>(Shape{index_t{1} << 31, index_t{1} << 31}), std::length_error);
    CHECK_THROWS_AS(Tensor<double>(Shape{index_t{1} << 61}), std::length_error);
    CHECK_THROWS_AS(Tensor<float>(Shape{std::numeric_limits<index_t>::max()}), std::length_error);
    // A failed resize keeps the tensor as it was.
    Tensor<float> t(Shape{2, 3}, 1.5f);
    const float* before = t.data();
    CHECK_THROWS_AS(t.resize(Shape{index_t{1} << 40, index_t{1} << 22}), std::length_error);
    CHECK(t.shape() == Shape{2, 3});
    CHECK(t.data() == before);
    CHECK(t(1, 2) == 1.5f);
    // So does one whose allocation fails: the old storage used to be freed first, leaving the
    // shape [2, 3] over no storage at all.
    {
        const test_allocations::FailAfter fail(0);  // the next allocation fails
        CHECK_THROWS_AS(t.resize(Shape{1000}), std::bad_alloc);
    }
    CHECK(t.shape() == Shape{2, 3});
    CHECK(t.data() == before);
    CHECK(t.capacity() == 6);
    CHECK(t(1, 2) == 1.5f);
    t.resize(Shape{1000});  // and it still grows when memory is there
    CHECK(t.capacity() == 1000);
    // Layers build their weight shapes through Shape, so absurd sizes are refused up front.
    Rng rng(1);
    test::require_shape_error([&] { Linear<float>(index_t{1} << 32, index_t{1} << 32, rng); },
                              {"[4294967296, 4294967296]"});
    test::require_shape_error([&] { Conv2d<float>(index_t{1} << 31, index_t{1} << 31, 4, rng); },
                              {"[2147483648, 2147483648, 4, 4]"});
}
