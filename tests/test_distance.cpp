// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/kernels/pairwise_distance.hpp>
#include <siamese/kernels/pairwise_distance_reference.hpp>
#include <siamese/metrics/distance.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

using namespace siamese;

namespace {

/// f = <forward(a, b), r>: one backward(r) gives both input gradients.
template <class Distance>
void check_distance_gradients(Distance& dist, Tensor<double> a, Tensor<double> b, Rng& rng) {
    Tensor<double> r = test::random_tensor(Shape{a.dim(0)}, rng);
    auto f = [&] {
        const Tensor<double>& d = dist.forward(a, b);
        double s = 0;
        for (index_t i = 0; i < d.size(); ++i) s += d[i] * r[i];
        return s;
    };
    f();
    dist.backward(r);
    Tensor<double> ga(a.shape()), gb(b.shape());
    std::copy_n(dist.grad_left().data, ga.size(), ga.data());
    std::copy_n(dist.grad_right().data, gb.size(), gb.data());
    test::require_gradients_ok(testing::check_tensor_gradient(f, a, ga, "a"));
    test::require_gradients_ok(testing::check_tensor_gradient(f, b, gb, "b"));
}

Tensor<double> rows(std::initializer_list<double> values, index_t d) {
    Tensor<double> t(Shape{static_cast<index_t>(values.size()) / d, d});
    std::copy(values.begin(), values.end(), t.data());
    return t;
}

/// Random float rows, and the same rows times `scale`, through two distances built alike: a
/// distance homogeneous of degree `power` in its rows (1 Euclidean, 0 cosine) gives d times
/// scale^power and a gradient times scale^(power - 1), however far the scaled rows' squares fall
/// outside float's range. `scaled` keeps the scaled rows' pass for further checks.
template <class Distance>
void check_scaled_rows(Distance& plain, Distance& scaled, float scale, int power, std::uint64_t seed) {
    Rng rng(seed);
    const auto a = test::random_tensor<float>(Shape{4, 6}, rng), b = test::random_tensor<float>(Shape{4, 6}, rng);
    const Tensor<float> expected = plain.forward(a, b);
    const Tensor<float> grad_d = test::random_tensor<float>(Shape{4}, rng);
    const Tensor<float> expected_grad = plain.backward(grad_d);
    Tensor<float> scaled_a = a, scaled_b = b;
    for (auto& v : scaled_a) v *= scale;
    for (auto& v : scaled_b) v *= scale;
    const Tensor<float>& d = scaled.forward(scaled_a, scaled_b);
    const Tensor<float>& grad = scaled.backward(grad_d);
    const double d_factor = std::pow(static_cast<double>(scale), power), grad_factor = d_factor / scale;
    for (index_t i = 0; i < d.size(); ++i)
        CHECK(static_cast<double>(d[i]) / d_factor == doctest::Approx(expected[i]).epsilon(1e-5));
    for (index_t i = 0; i < grad.size(); ++i)
        CHECK(static_cast<double>(grad[i]) / grad_factor == doctest::Approx(expected_grad[i]).epsilon(1e-4));
}

}  // namespace

TEST_CASE("EuclideanDistance: values by hand, and the stacked layout gives the same") {
    // (0,0)-(3,4): 5;  (1,2)-(1,2): 0 (+ sqrt(eps) = 1e-6);  (-1,0)-(1,0): 2
    const auto a = rows({0, 0, 1, 2, -1, 0}, 2);
    const auto b = rows({3, 4, 1, 2, 1, 0}, 2);
    metrics::EuclideanDistance<double> dist;
    const Tensor<double> d = dist.forward(a, b);
    CHECK(d[0] == doctest::Approx(5.0).epsilon(1e-12));
    CHECK(d[1] == doctest::Approx(1e-6).epsilon(1e-12));
    CHECK(d[2] == doctest::Approx(2.0).epsilon(1e-12));
    CHECK(dist.squared()[0] == 25.0);
    CHECK(dist.squared()[1] == 0.0);

    Tensor<double> stacked(Shape{6, 2});
    std::copy_n(a.data(), 6, stacked.data());
    std::copy_n(b.data(), 6, stacked.data() + 6);
    const Tensor<double>& ds = dist.forward_stacked(stacked);
    for (index_t i = 0; i < 3; ++i) CHECK(ds[i] == d[i]);

    // dd/da = (a - b) / d, dd/db = -(a - b) / d; exactly 0 at a = b.
    const Tensor<double>& g = dist.backward(Tensor<double>(Shape{3}, 1.0));
    REQUIRE(g.shape() == Shape{6, 2});
    CHECK(g[0] == doctest::Approx(-0.6));
    CHECK(g[1] == doctest::Approx(-0.8));
    CHECK(g[2] == 0.0);
    CHECK(g[3] == 0.0);
    CHECK(g[6] == doctest::Approx(0.6));
    CHECK(g[7] == doctest::Approx(0.8));
    CHECK(dist.grad_right().data[0] == doctest::Approx(0.6));
}

TEST_CASE("EuclideanDistance: gradient matches finite differences, also next to a = b") {
    Rng rng(301);
    metrics::EuclideanDistance<double> dist;
    check_distance_gradients(dist, test::random_tensor(Shape{5, 7}, rng), test::random_tensor(Shape{5, 7}, rng), rng);
    // Nearly equal rows: the smoothed distance stays differentiable (eps = 1e-6 keeps the
    // finite difference's step well inside the smooth region).
    metrics::EuclideanDistance<double> smooth(1e-6);
    auto a = test::random_tensor(Shape{3, 4}, rng);
    auto b = a;
    for (auto& v : b) v += rng.uniform(-1e-4, 1e-4);
    check_distance_gradients(smooth, a, b, rng);
}

TEST_CASE("CosineDistance: values by hand, zero rows, gradient") {
    // (1,0)-(0,2): cos 0 -> 1;  (1,1)-(2,2): cos 1 -> 0;  (3,4)-(-3,-4): cos -1 -> 2;  (0,0)-(1,1): 1
    const auto a = rows({1, 0, 1, 1, 3, 4, 0, 0}, 2);
    const auto b = rows({0, 2, 2, 2, -3, -4, 1, 1}, 2);
    metrics::CosineDistance<double> dist;
    const Tensor<double>& d = dist.forward(a, b);
    CHECK(d[0] == doctest::Approx(1.0));
    CHECK(d[1] == doctest::Approx(0.0).epsilon(1e-14));
    CHECK(d[2] == doctest::Approx(2.0));
    CHECK(d[3] == doctest::Approx(1.0));
    // d/da of 1 - cos at a = (1,0), b = (0,2): -(b^ - cos a^) / |a| = (0, -1)
    const Tensor<double>& g = dist.backward(Tensor<double>(Shape{4}, 1.0));
    CHECK(g[0] == doctest::Approx(0.0));
    CHECK(g[1] == doctest::Approx(-1.0));
    for (const double v : g) CHECK(std::isfinite(v));

    Rng rng(302);
    metrics::CosineDistance<double> fresh;
    check_distance_gradients(fresh, test::random_tensor(Shape{6, 5}, rng), test::random_tensor(Shape{6, 5}, rng), rng);
}

TEST_CASE("CosineDistance: identical rows are at distance 0, never below (float rounding)") {
    // The rounded unit vectors' dot product exceeded 1 for some rows: d = -1.2e-7, outside [0, 2].
    Rng rng(303);
    const auto a = test::random_tensor<float>(Shape{200, 7}, rng);
    metrics::CosineDistance<float> dist;
    const Tensor<float>& d = dist.forward(a, a);
    for (index_t i = 0; i < d.size(); ++i) {
        CHECK(d[i] >= 0.0f);
        CHECK(d[i] <= 1e-6f);
        CHECK(dist.cosine()[i] <= 1.0f);
    }
}

TEST_CASE("CosineDistance: float rows whose squares overflow keep their direction and gradient") {
    // Rows of norm beyond 1.8e19 were the zero vector (their sum of squares inf): every pair at
    // distance 1, gradient 0. The cosine, and the gradient times the scale, do not depend on it.
    metrics::CosineDistance<float> unit_scale, large_scale;
    check_scaled_rows(unit_scale, large_scale, 1e25f, 0, 304);
    Rng rng(304);
    Tensor<float> big_a = test::random_tensor<float>(Shape{4, 6}, rng);
    for (auto& v : big_a) v *= 1e25f;
    CHECK(large_scale.forward(big_a, big_a)[0] == doctest::Approx(0.0).epsilon(1e-6));
    Tensor<float> opposite = big_a;
    for (auto& v : opposite) v = -v;
    CHECK(large_scale.forward(big_a, opposite)[0] == doctest::Approx(2.0));
}

TEST_CASE("CosineDistance: float rows whose squares underflow keep their norm when above a small eps") {
    // With eps = 1e-30, rows of norm 1e-25 are above eps, but their squares (1e-50) are 0 in
    // float: the norm was clamped to eps, the "unit" vectors far from unit length, d = 0.
    metrics::CosineDistance<float> unit_scale(1e-30), small_scale(1e-30);
    check_scaled_rows(unit_scale, small_scale, 1e-25f, 0, 305);
    // Below eps, a row is still clamped: a zero row and a subnormal one are at distance 1.
    Tensor<float> tiny(Shape{1, 2}), zero(Shape{1, 2}), other(Shape{1, 2}, 1e-25f);
    tiny[0] = 1e-40f;
    CHECK(small_scale.forward(tiny, other)[0] == doctest::Approx(1.0));
    CHECK(small_scale.forward(zero, tiny)[0] == doctest::Approx(1.0));
}

TEST_CASE("EuclideanDistance: float differences whose squares overflow keep their distance and gradient") {
    // A difference of 1e25 gave d = inf and gradient (a - b) / d = 0: a diverging run stalled.
    metrics::EuclideanDistance<float> unit_scale, large_scale;
    check_scaled_rows(unit_scale, large_scale, 1e25f, 1, 306);
    for (index_t i = 0; i < 4; ++i) CHECK(std::isinf(large_scale.squared()[i]));
    // An infinite difference stays infinite.
    Tensor<float> inf_row(Shape{1, 2}, 0.0f), zero(Shape{1, 2});
    inf_row[1] = std::numeric_limits<float>::infinity();
    CHECK(std::isinf(large_scale.forward(inf_row, zero)[0]));
}

TEST_CASE("Distances: shapes and misuse are clear errors") {
    metrics::EuclideanDistance<float> dist;
    Tensor<float> a(Shape{3, 4}), b(Shape{3, 5}), odd(Shape{3, 4});
    test::require_shape_error([&] { dist.forward(a, b); }, {"EuclideanDistance", "[3, 4]", "[3, 5]"});
    test::require_shape_error([&] { dist.forward_stacked(odd); }, {"EuclideanDistance", "[2B, D]", "[3, 4]"});
    CHECK_THROWS_AS(dist.backward(Tensor<float>(Shape{3})), std::logic_error);
    dist.forward(a, a);
    test::require_shape_error([&] { dist.backward(Tensor<float>(Shape{4})); }, {"[3]", "[4]"});
    metrics::CosineDistance<float> cosine;
    test::require_shape_error([&] { cosine.forward(a, b); }, {"CosineDistance", "[3, 4]", "[3, 5]"});
    CHECK_THROWS_AS(metrics::EuclideanDistance<float>(0.0), std::invalid_argument);
    Tensor<float> out;
    test::require_shape_error([&] { metrics::pairwise_euclidean(a, b, out); }, {"pairwise_euclidean", "[3, 5]"});
    // out is resized before a and b are read: as an input it would be overwritten first.
    Tensor<float> c(Shape{3, 4}, 1.0f), d(Shape{3, 4}, 2.0f);
    for (Tensor<float>* input : {&c, &d}) {
        test::require_error<std::invalid_argument>([&] { metrics::pairwise_euclidean(c, d, *input); },
                                                   {"pairwise_euclidean: out must not be an input"});
    }
    CHECK(c.shape() == Shape{3, 4});
    CHECK(c[0] == 1.0f);
    CHECK(d[0] == 2.0f);
}

TEST_CASE("pairwise_squared_distance matches the reference on odd shapes; diagonal exactly 0") {
    Rng rng(303);
    // Shapes on both sides of the serial/parallel threshold, D below, at and above the 8 lanes.
    const index_t shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {8, 8, 8}, {17, 4, 9}, {65, 70, 33}, {128, 96, 21}};
    for (const auto& s : shapes) {
        const index_t N = s[0], M = s[1], D = s[2];
        CAPTURE(N);
        CAPTURE(M);
        CAPTURE(D);
        const auto a = test::random_tensor(Shape{N, D}, rng);
        const auto b = test::random_tensor(Shape{M, D}, rng);
        Tensor<double> fast(Shape{N, M}), ref(Shape{N, M});
        kernels::pairwise_squared_distance(N, M, D, a.data(), b.data(), fast.data());
        kernels::reference::pairwise_squared_distance(N, M, D, a.data(), b.data(), ref.data());
        CHECK(test::max_relative_difference(fast.data(), ref.data(), fast.size()) < 1e-13);

        const auto gs = test::random_tensor(Shape{N, M}, rng);
        Tensor<double> da(Shape{N, D}), db(Shape{M, D}), rda(Shape{N, D}), rdb(Shape{M, D});
        kernels::pairwise_squared_distance_backward(N, M, D, a.data(), b.data(), gs.data(), da.data(), db.data());
        kernels::reference::pairwise_squared_distance_backward(N, M, D, a.data(), b.data(), gs.data(), rda.data(),
                                                               rdb.data());
        CHECK(test::max_relative_difference(da.data(), rda.data(), da.size()) < 1e-12);
        CHECK(test::max_relative_difference(db.data(), rdb.data(), db.size()) < 1e-12);

        Tensor<double> self(Shape{N, N});
        kernels::pairwise_squared_distance(N, N, D, a.data(), a.data(), self.data());
        for (index_t i = 0; i < N; ++i) CHECK(self[i * N + i] == 0.0);
    }
}

TEST_CASE("pairwise kernel: one thread and two agree bit for bit") {
    Rng rng(304);
    const index_t N = 90, M = 70, D = 40;
    const auto a = test::random_tensor<float>(Shape{N, D}, rng);
    const auto b = test::random_tensor<float>(Shape{M, D}, rng);
    const auto gs = test::random_tensor<float>(Shape{N, M}, rng);
    Tensor<float> s1(Shape{N, M}), s2(Shape{N, M}), da1(Shape{N, D}), da2(Shape{N, D}), db1(Shape{M, D}),
        db2(Shape{M, D});
    set_num_threads(1);
    kernels::pairwise_squared_distance(N, M, D, a.data(), b.data(), s1.data());
    kernels::pairwise_squared_distance_backward(N, M, D, a.data(), b.data(), gs.data(), da1.data(), db1.data());
    set_num_threads(2);  // two whatever the machine's cores
    kernels::pairwise_squared_distance(N, M, D, a.data(), b.data(), s2.data());
    kernels::pairwise_squared_distance_backward(N, M, D, a.data(), b.data(), gs.data(), da2.data(), db2.data());
    set_num_threads(0);
    CHECK(std::equal(s1.begin(), s1.end(), s2.begin()));
    CHECK(std::equal(da1.begin(), da1.end(), da2.begin()));
    CHECK(std::equal(db1.begin(), db1.end(), db2.begin()));
}

TEST_CASE("pairwise kernel: close rows keep their small distance (no cancellation)") {
    // Rows of norm ~130 that differ by 2^-10 in one coordinate (exact in float):
    // ||a||^2 + ||b||^2 - 2ab would lose the 2^-20 under float rounding of ~1e-3.
    Tensor<float> a(Shape{1, 16}), b(Shape{1, 16});
    for (index_t k = 0; k < 16; ++k) {
        a[k] = 25.0f + static_cast<float>(k);
        b[k] = a[k] + (k == 3 ? 0x1p-10f : 0.0f);
    }
    Tensor<float> out;
    metrics::pairwise_euclidean(a, b, out, true);
    CHECK(out[0] == 0x1p-20f);
    metrics::pairwise_euclidean(a, b, out);
    CHECK(out[0] == 0x1p-10f);
}

TEST_CASE("pairwise_euclidean: float rows whose squares overflow keep their distance") {
    // Differences of 3e19 and 4e19 (squares beyond float's 3.4e38): the distance is 5e19; only
    // the squared form, which has no finite value, is inf. A difference holding an inf stays inf.
    const float inf = std::numeric_limits<float>::infinity();
    Tensor<float> a(Shape{2, 2}), b(Shape{3, 2});
    a[0] = 3e19f, a[1] = 4e19f;  // row 0
    a[2] = 1.0f, a[3] = 2.0f;    // row 1
    b[0] = 0.0f, b[1] = 0.0f;    // row 0
    b[2] = 1.0f, b[3] = 2.0f;    // row 1
    b[4] = inf, b[5] = 0.0f;     // row 2
    Tensor<float> out;
    metrics::pairwise_euclidean(a, b, out);
    CHECK(out[0] == doctest::Approx(5e19).epsilon(1e-6));
    CHECK(out[1] == doctest::Approx(5e19).epsilon(1e-6));  // (3e19 - 1, 4e19 - 2) rounds to a's row
    CHECK(std::isinf(out[2]));
    CHECK(out[3] == doctest::Approx(std::sqrt(5.0)));
    CHECK(out[4] == 0.0f);
    CHECK(std::isinf(out[5]));
    metrics::pairwise_euclidean(a, b, out, true);
    CHECK(std::isinf(out[0]));
    CHECK(out[3] == 5.0f);
}

TEST_CASE("Distances: an eps that is 0 or subnormal in the tensor type is an error naming the value") {
    // 1e-300 is positive as a double but 0 as a float: equal rows would get distance 0 and a
    // NaN gradient (0 / 0), zero rows a NaN cosine.
    test::require_error<std::invalid_argument>([] { metrics::EuclideanDistance<float>(1e-300); },
                                               {"EuclideanDistance: eps 1e-300 is 0 or subnormal as a float"});
    test::require_error<std::invalid_argument>([] { metrics::CosineDistance<float>(1e-300); },
                                               {"CosineDistance: eps 1e-300", "float"});
    test::require_error<std::invalid_argument>([] { metrics::EuclideanDistance<float>(1e-40); },
                                               {"EuclideanDistance: eps 1e-40", "subnormal"});
    test::require_error<std::invalid_argument>([] { metrics::EuclideanDistance<double>(1e-320); },
                                               {"EuclideanDistance: eps 1e-320", "double"});
    test::require_error<std::invalid_argument>([] { metrics::CosineDistance<float>(1e300); },
                                               {"CosineDistance: eps 1e+300 is out of range for float"});
    test::require_error<std::invalid_argument>([] { metrics::CosineDistance<float>(0.0); },
                                               {"CosineDistance: eps must be a finite number > 0, got 0"});
    // As a double, 1e-300 is a normal number and works.
    metrics::EuclideanDistance<double> tiny(1e-300);
    Tensor<double> a(Shape{1, 2}, 1.0);
    tiny.forward(a, a);
    const auto& g = tiny.backward(Tensor<double>(Shape{1}, 1.0));
    CHECK(g[0] == 0.0);
}
