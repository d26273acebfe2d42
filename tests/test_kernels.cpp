// SPDX-License-Identifier: MIT
// Differential tests: every fast kernel against its naive twin in kernels::reference,
// on random shapes, strides, paddings and odd sizes, with one thread and with all.
#include "test_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

using namespace siamese;
namespace ref = siamese::kernels::reference;

namespace {

struct ThreadCount {
    int threads;
    explicit ThreadCount(int n) : threads(n) { set_num_threads(n); }
    ~ThreadCount() { set_num_threads(0); }
};

/// Relative agreement with a floor: results (sums of up to several hundred products of values in
/// [-1, 1], summed in another order) must agree to 1e-12 (double) or 1e-5 (float) of
/// max(|value|, floor). The floor is the reference's root mean square (at least 1): sums that
/// cancel to near zero carry the rounding of their typical magnitude, which grows like sqrt(K).
template <class T>
void check_close(const std::vector<T>& a, const std::vector<T>& b) {
    REQUIRE(a.size() == b.size());
    constexpr bool is_double = std::is_same_v<T, double>;
    double mean_square = 0;
    for (const T v : b) mean_square += static_cast<double>(v) * static_cast<double>(v) / static_cast<double>(b.size());
    const double floor = std::max(1.0, std::sqrt(mean_square));
    const double d = test::max_relative_difference(a.data(), b.data(), static_cast<index_t>(a.size()), floor);
    CHECK(d <= (is_double ? 1e-12 : 1e-5));
}

template <class T>
std::vector<T> random_vector(index_t n, Rng& rng) {
    std::vector<T> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = static_cast<T>(rng.uniform(-1, 1));
    return v;
}

kernels::Conv2dGeometry random_conv(Rng& rng) {
    kernels::Conv2dGeometry g;
    g.channels = 1 + rng.uniform_int(4);
    g.out_channels = 1 + rng.uniform_int(6);
    g.kernel_h = g.kernel_w = 1 + rng.uniform_int(4);
    g.stride = 1 + rng.uniform_int(2);
    g.padding = rng.uniform_int(2);
    g.height = std::max<index_t>(g.kernel_h, 1 + rng.uniform_int(11));
    g.width = std::max<index_t>(g.kernel_w, 1 + rng.uniform_int(11));
    return g;
}

}  // namespace

/// C = alpha * op(A) op(B) + beta * C by gemm, against the naive product, for every transpose combination.
template <class T>
void check_gemm(index_t M, index_t N, index_t K, T alpha, T beta, Rng& rng) {
    using kernels::Op;
    CAPTURE(M);
    CAPTURE(N);
    CAPTURE(K);
    const auto A = random_vector<T>(M * K, rng);
    const auto B = random_vector<T>(K * N, rng);
    // The expected product in double: a float reference would carry float rounding of its own.
    std::vector<double> expected(static_cast<std::size_t>(M * N));
    ref::matmul(M, N, K, std::vector<double>(A.begin(), A.end()).data(), std::vector<double>(B.begin(), B.end()).data(),
                expected.data());
    // Transposed copies of A and B.
    std::vector<T> At(A.size()), Bt(B.size());
    for (index_t i = 0; i < M; ++i)
        for (index_t k = 0; k < K; ++k)
            At[static_cast<std::size_t>(k * M + i)] = A[static_cast<std::size_t>(i * K + k)];
    for (index_t k = 0; k < K; ++k)
        for (index_t j = 0; j < N; ++j)
            Bt[static_cast<std::size_t>(j * K + k)] = B[static_cast<std::size_t>(k * N + j)];
    std::vector<T> work(static_cast<std::size_t>(kernels::gemm_workspace_size<T>(M, N, K, num_threads())));
    const auto C0 = random_vector<T>(M * N, rng);
    for (int combo = 0; combo < 4; ++combo) {
        CAPTURE(combo);
        const Op oa = combo & 1 ? Op::transpose : Op::none;
        const Op ob = combo & 2 ? Op::transpose : Op::none;
        // beta == 0 must not read C: start from NaN there.
        std::vector<T> C = beta == T(0) ? std::vector<T>(C0.size(), std::numeric_limits<T>::quiet_NaN()) : C0;
        kernels::gemm(oa, ob, M, N, K, alpha, (combo & 1 ? At : A).data(), combo & 1 ? M : K,
                      (combo & 2 ? Bt : B).data(), combo & 2 ? K : N, beta, C.data(), N, work.data());
        std::vector<double> want(expected.size()), got(C.begin(), C.end());
        for (std::size_t i = 0; i < want.size(); ++i) {
            want[i] =
                static_cast<double>(alpha) * expected[i] + (beta == T(0) ? 0.0 : static_cast<double>(beta * C0[i]));
        }
        // Float sums of K products of values in [-1, 1] are good to ~1e-5 of their typical size sqrt(K)/2.
        const double floor = std::is_same_v<T, double> ? 1.0 : std::max(1.0, std::sqrt(static_cast<double>(K)) / 2);
        CHECK(test::max_relative_difference(got.data(), want.data(), M * N, floor) <=
              (std::is_same_v<T, double> ? 1e-12 : 1e-5));
    }
}

TEST_CASE_TEMPLATE("gemm matches the naive product for every transpose combination, 1 thread and 2", T, double, float) {
    Rng rng(11);
    for (int threads : {1, 2}) {
        ThreadCount tc(threads);
        for (int trial = 0; trial < 20; ++trial) {
            const index_t M = 1 + rng.uniform_int(17), N = 1 + rng.uniform_int(17), K = 1 + rng.uniform_int(17);
            check_gemm<T>(M, N, K, T(2), T(0.5), rng);
        }
    }
}

TEST_CASE_TEMPLATE("gemm register-tile edges: M, N, K around and across the tile and block sizes", T, double, float) {
    using G = kernels::GemmTile<T>;
    Rng rng(16);
    const index_t mr = G::mr, nr = G::nr, kc = G::kc, mc = G::mc;
    for (int threads : {1, 2}) {
        ThreadCount tc(threads);
        // Exact multiples, one less, one more; a K over several KC blocks; M over several MC blocks;
        // few column panels (A read in place) and many (A packed); beta 0 (C never read) and 1.
        for (const index_t M : {index_t{1}, mr - 1, mr, mr + 1, 2 * mr + 3, mc + 5}) {
            for (const index_t N : {index_t{1}, nr - 1, nr, nr + 1, 5 * nr + 7}) {
                for (const index_t K : {index_t{1}, index_t{7}, kc + 3}) {
                    check_gemm<T>(M, N, K, T(1), T(0), rng);
                }
            }
        }
        check_gemm<T>(2 * mc + 1, 3, 2 * kc + 1, T(-1.5), T(1), rng);
        check_gemm<T>(37, 9 * nr + 1, 300, T(1), T(1), rng);
    }
}

TEST_CASE("gemm: K = 0 or alpha = 0 only scales C; empty C is a no-op") {
    std::vector<double> C{1, 2, 3, 4}, work(64);
    kernels::gemm<double>(kernels::Op::none, kernels::Op::none, 2, 2, 0, 1.0, nullptr, 1, nullptr, 2, 3.0, C.data(), 2,
                          work.data());
    CHECK(C == std::vector<double>{3, 6, 9, 12});
    const std::vector<double> A{1, 1}, B{1, 1};
    kernels::gemm(kernels::Op::none, kernels::Op::none, 2, 2, 1, 0.0, A.data(), 1, B.data(), 2, 0.0, C.data(), 2,
                  work.data());
    CHECK(C == std::vector<double>{0, 0, 0, 0});
    kernels::gemm(kernels::Op::none, kernels::Op::none, 0, 2, 1, 1.0, A.data(), 1, B.data(), 2, 0.0, C.data(), 2,
                  work.data());
    // beta == 0 never reads C, on this path too: a NaN there (0 * NaN = NaN) becomes 0.
    for (const double alpha : {0.0, 1.0}) {
        const index_t K = alpha == 0.0 ? 1 : 0;
        std::vector<double> nan_c(4, std::numeric_limits<double>::quiet_NaN());
        kernels::gemm(kernels::Op::none, kernels::Op::none, 2, 2, K, alpha, A.data(), 1, B.data(), 2, 0.0, nan_c.data(),
                      2, work.data());
        CHECK(nan_c == std::vector<double>{0, 0, 0, 0});
    }
}

TEST_CASE_TEMPLATE("transpose matches the index definition, with strides, odd sizes and whole 16x16 blocks", T, double,
                   float) {
    Rng rng(17);
    for (const auto& [rows, cols] :
         {std::pair<index_t, index_t>{1, 1}, {16, 16}, {17, 33}, {32, 169}, {169, 64}, {3, 50}, {48, 5}}) {
        const index_t lds = cols + 3, ldd = rows + 2;  // padded strides
        const auto src = random_vector<T>(rows * lds, rng);
        std::vector<T> dst(static_cast<std::size_t>(cols * ldd), T(-7));
        kernels::transpose(rows, cols, src.data(), lds, dst.data(), ldd);
        bool ok = true;
        for (index_t r = 0; r < rows; ++r)
            for (index_t c = 0; c < cols; ++c)
                ok = ok && dst[static_cast<std::size_t>(c * ldd + r)] == src[static_cast<std::size_t>(r * lds + c)];
        for (index_t c = 0; c < cols; ++c)
            for (index_t r = rows; r < ldd; ++r) ok = ok && dst[static_cast<std::size_t>(c * ldd + r)] == T(-7);
        CHECK(ok);
    }
}

TEST_CASE_TEMPLATE("simd::Vec partial loads and stores touch only their lanes", T, double, float) {
    using V = kernels::simd::Vec<T>;
    constexpr index_t W = V::width;
    std::vector<T> src(static_cast<std::size_t>(W)), dst(static_cast<std::size_t>(W + 1));
    for (index_t i = 0; i < W; ++i) src[static_cast<std::size_t>(i)] = T(i + 1);
    for (index_t n = 0; n <= W; ++n) {
        std::fill(dst.begin(), dst.end(), T(-1));
        V::load_n(src.data(), n).store_n(dst.data(), W);
        for (index_t i = 0; i < W; ++i) CHECK(dst[static_cast<std::size_t>(i)] == (i < n ? T(i + 1) : T(0)));
        std::fill(dst.begin(), dst.end(), T(-1));
        V::load(src.data()).store_n(dst.data(), n);
        for (index_t i = 0; i <= W; ++i) CHECK(dst[static_cast<std::size_t>(i)] == (i < n ? T(i + 1) : T(-1)));
        std::vector<std::uint8_t> bytes(static_cast<std::size_t>(W + 1), 9), codes(static_cast<std::size_t>(W));
        for (index_t i = 0; i < W; ++i)
            codes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i % 4 == 3 ? 255 : i % 4);
        V::load_bytes(codes.data(), W).store_bytes(bytes.data(), n);
        for (index_t i = 0; i <= W; ++i)
            CHECK(bytes[static_cast<std::size_t>(i)] == (i < n ? codes[static_cast<std::size_t>(i)] : 9));
    }
    CHECK(V::broadcast(T(2)).sum() == T(2 * W));
}

TEST_CASE("im2col and col2im are adjoint: <im2col(x), c> == <x, col2im(c)>") {
    Rng rng(12);
    for (int trial = 0; trial < 30; ++trial) {
        const auto g = random_conv(rng);
        const auto x = random_vector<double>(g.in_sample(), rng);
        const auto c = random_vector<double>(g.patch_size() * g.out_plane(), rng);
        std::vector<double> cols(c.size()), back(x.size());
        kernels::im2col(g, x.data(), cols.data());
        kernels::col2im(g, c.data(), back.data());
        double lhs = 0, rhs = 0;
        for (std::size_t i = 0; i < c.size(); ++i) lhs += cols[i] * c[i];
        for (std::size_t i = 0; i < x.size(); ++i) rhs += x[i] * back[i];
        CHECK(lhs == doctest::Approx(rhs).epsilon(1e-12));
    }
}

/// The three conv2d kernels on N random samples against the direct reference, with the
/// current thread count.
template <class T>
void check_conv2d_against_reference(const kernels::Conv2dGeometry& g, index_t N, Rng& rng) {
    CAPTURE(N);
    CAPTURE(g.channels);
    CAPTURE(g.out_channels);
    CAPTURE(g.kernel_h);
    CAPTURE(g.stride);
    CAPTURE(g.padding);
    CAPTURE(g.height);
    CAPTURE(g.width);
    const auto x = random_vector<T>(N * g.in_sample(), rng);
    const auto w = random_vector<T>(g.weight_size(), rng);
    const auto b = random_vector<T>(g.out_channels, rng);
    const auto dy = random_vector<T>(N * g.out_sample(), rng);
    std::vector<T> work(static_cast<std::size_t>(kernels::conv2d_workspace_size<T>(g, num_threads())));

    std::vector<T> y(dy.size()), y_ref(dy.size());
    kernels::conv2d_forward(g, N, x.data(), w.data(), b.data(), y.data(), work.data());
    ref::conv2d_forward(g, N, x.data(), w.data(), b.data(), y_ref.data());
    check_close(y, y_ref);

    std::vector<T> dx(x.size(), T(9)), dx_ref(x.size());
    kernels::conv2d_backward_data(g, N, dy.data(), w.data(), dx.data(), work.data());
    ref::conv2d_backward_data(g, N, dy.data(), w.data(), dx_ref.data());
    check_close(dx, dx_ref);

    // Weight gradients accumulate: start both from the same non-zero values.
    std::vector<T> dw(w.size(), T(0.5)), db(b.size(), T(0.25)), dw_ref = dw, db_ref = db;
    kernels::conv2d_backward_weights(g, N, x.data(), dy.data(), dw.data(), db.data(), work.data());
    ref::conv2d_backward_weights(g, N, x.data(), dy.data(), dw_ref.data(), db_ref.data());
    check_close(dw, dw_ref);
    check_close(db, db_ref);
}

TEST_CASE_TEMPLATE("conv2d kernels match the direct reference on random shapes, 1 thread and 2", T, double, float) {
    Rng rng(13);
    for (int threads : {1, 2}) {
        ThreadCount tc(threads);
        for (int trial = 0; trial < 25; ++trial) {
            const auto g = random_conv(rng);
            check_conv2d_against_reference<T>(g, 1 + rng.uniform_int(5), rng);
        }
    }
}

TEST_CASE_TEMPLATE("conv2d kernels on one sample, whose GEMM takes the whole team, match the reference", T, double,
                   float) {
    // With one sample the loop over samples is serial and the GEMM splits itself across the
    // threads; these GEMMs are large enough to split (above 64K multiply-adds). The weight
    // gradient once summed the second thread's packing buffer as if it were a partial gradient.
    const std::vector<kernels::Conv2dGeometry> shapes{
        {17, 8, 8, 33, 1, 1, 1, 2}, {8, 12, 30, 192, 3, 3, 1, 0}, {32, 13, 13, 64, 3, 3, 1, 0}};
    Rng rng(15);
    for (int threads : {1, 2}) {
        CAPTURE(threads);
        ThreadCount tc(threads);
        for (const auto& g : shapes) check_conv2d_against_reference<T>(g, 1, rng);
    }
}

TEST_CASE("max_pool2d matches the reference, including odd sizes and overlapping windows") {
    Rng rng(14);
    for (int threads : {1, 2}) {
        ThreadCount tc(threads);
        for (int trial = 0; trial < 25; ++trial) {
            kernels::Pool2dGeometry g;
            g.channels = 1 + rng.uniform_int(4);
            g.kernel = 1 + rng.uniform_int(3);
            g.stride = 1 + rng.uniform_int(3);
            g.height = g.kernel + rng.uniform_int(9);
            g.width = g.kernel + rng.uniform_int(9);
            const index_t N = 1 + rng.uniform_int(4);
            auto x = random_vector<double>(N * g.in_sample(), rng);
            // Every other trial has NaNs: a NaN counts as its window's maximum, in both.
            if (trial % 2 == 1) {
                for (auto& v : x) {
                    if (rng.uniform_int(8) == 0) v = std::numeric_limits<double>::quiet_NaN();
                }
            }
            std::vector<double> y(static_cast<std::size_t>(N * g.out_sample())), y_ref(y.size());
            std::vector<std::int32_t> arg(y.size()), arg_ref(y.size());
            kernels::max_pool2d_forward(g, N, x.data(), y.data(), arg.data());
            ref::max_pool2d_forward(g, N, x.data(), y_ref.data(), arg_ref.data());
            CHECK(arg == arg_ref);
            CHECK(std::memcmp(y.data(), y_ref.data(), y.size() * sizeof(double)) == 0);  // NaN == NaN here

            // Backward: every gradient lands on its window's argmax, overlapping windows add up.
            const auto dy = random_vector<double>(static_cast<index_t>(y.size()), rng);
            std::vector<double> dx(x.size(), 7.0), dx_ref(x.size(), 0.0);
            kernels::max_pool2d_backward(g, N, dy.data(), arg.data(), dx.data());
            const index_t plane_in = g.height * g.width, plane_out = g.out_height() * g.out_width();
            for (index_t nc = 0; nc < N * g.channels; ++nc)
                for (index_t i = 0; i < plane_out; ++i)
                    dx_ref[static_cast<std::size_t>(nc * plane_in +
                                                    arg_ref[static_cast<std::size_t>(nc * plane_out + i)])] +=
                        dy[static_cast<std::size_t>(nc * plane_out + i)];
            check_close(dx, dx_ref);
        }
    }
}

TEST_CASE_TEMPLATE("linear kernels match the reference, 1 thread and 2", T, double, float) {
    Rng rng(15);
    for (int threads : {1, 2}) {
        ThreadCount tc(threads);
        for (int trial = 0; trial < 20; ++trial) {
            // Sizes up to the tutorial's fc1 (a batch of 200, 1600 -> 120) on the last trials.
            const bool big = trial >= 18;
            const index_t N = big ? 200 : 1 + rng.uniform_int(9), IN = big ? 1600 : 1 + rng.uniform_int(40);
            const index_t OUT = big ? 120 : 1 + rng.uniform_int(20);
            const auto x = random_vector<T>(N * IN, rng);
            const auto w = random_vector<T>(OUT * IN, rng);
            const auto b = random_vector<T>(OUT, rng);
            const auto dy = random_vector<T>(N * OUT, rng);
            std::vector<T> work(static_cast<std::size_t>(kernels::linear_workspace_size<T>(N, IN, OUT, num_threads())));
            // The references sum in double: a float sum of 1600 products is itself off by ~1e-5.
            auto wide = [](const std::vector<T>& v) { return std::vector<double>(v.begin(), v.end()); };
            std::vector<T> y(static_cast<std::size_t>(N * OUT));
            std::vector<double> y_ref(y.size());
            kernels::linear_forward(N, IN, OUT, x.data(), w.data(), b.data(), y.data(), work.data());
            ref::linear_forward(N, IN, OUT, wide(x).data(), wide(w).data(), wide(b).data(), y_ref.data());
            // Float sums of 1600 products of magnitude ~10 are good to ~3e-5 absolute: judge them
            // relative to that magnitude.
            const double tol = std::is_same_v<T, double> ? 1e-12 : 1e-5;
            const double floor = big ? 10.0 : 1.0;
            CHECK(test::max_relative_difference(wide(y).data(), y_ref.data(), N * OUT, floor) <= tol);

            // dx = dy w and dw += dy^T x, db += column sums of dy, against direct sums in double.
            std::vector<T> dx(x.size());
            std::vector<double> dx_ref(x.size(), 0.0);
            kernels::linear_backward_data(N, IN, OUT, dy.data(), w.data(), dx.data(), work.data());
            std::vector<T> dw(w.size(), T(0.5)), db(b.size(), T(0.25));
            std::vector<double> dw_ref(w.size(), 0.5), db_ref(b.size(), 0.25);
            kernels::linear_backward_weights(N, IN, OUT, x.data(), dy.data(), dw.data(), db.data(), work.data());
            for (index_t n = 0; n < N; ++n)
                for (index_t o = 0; o < OUT; ++o) {
                    const T g = dy[static_cast<std::size_t>(n * OUT + o)];
                    db_ref[static_cast<std::size_t>(o)] += g;
                    for (index_t i = 0; i < IN; ++i) {
                        dx_ref[static_cast<std::size_t>(n * IN + i)] += g * w[static_cast<std::size_t>(o * IN + i)];
                        dw_ref[static_cast<std::size_t>(o * IN + i)] += g * x[static_cast<std::size_t>(n * IN + i)];
                    }
                }
            CHECK(test::max_relative_difference(wide(dx).data(), dx_ref.data(), N * IN, floor) <= tol);
            CHECK(test::max_relative_difference(wide(dw).data(), dw_ref.data(), OUT * IN, floor) <= tol);
            CHECK(test::max_relative_difference(wide(db).data(), db_ref.data(), OUT, floor) <= tol);
        }
    }
}

TEST_CASE("relu kernels") {
    const std::vector<float> x{-2, -0.5f, 0, 0.5f, 2};
    std::vector<float> y(5), dx(5);
    kernels::relu_forward(5, x.data(), y.data());
    CHECK(y == std::vector<float>{0, 0, 0, 0.5f, 2});
    const std::vector<float> dy{1, 2, 3, 4, 5};
    kernels::relu_backward(5, y.data(), dy.data(), dx.data());
    CHECK(dx == std::vector<float>{0, 0, 0, 4, 5});
    CHECK(kernels::sigmoid(0.0) == 0.5);
    CHECK(kernels::sigmoid(-1000.0) == 0.0);
    CHECK(kernels::sigmoid(1000.0) == 1.0);
}

TEST_CASE_TEMPLATE("conv_relu_pool kernels match conv -> relu -> pool composed from the reference, 1 thread and 2", T,
                   double, float) {
    Rng rng(18);
    // The tutorial's two shapes, then random ones: few channels (the dense paths) and many, channel
    // counts off the vector width, strides, paddings, odd conv outputs whose last row is dropped.
    std::vector<kernels::Conv2dGeometry> shapes{{1, 28, 28, 32, 3, 3, 1, 0},
                                                {32, 13, 13, 64, 3, 3, 1, 0},
                                                {40, 7, 7, 33, 3, 3, 2, 1},
                                                {80, 6, 6, 4, 1, 1, 1, 0},
                                                {9, 5, 5, 3, 5, 5, 1, 2}};
    for (int i = 0; i < 20; ++i) {
        kernels::Conv2dGeometry g = random_conv(rng);
        g.channels = 1 + rng.uniform_int(i % 2 ? 40 : 4);
        g.out_channels = 1 + rng.uniform_int(i % 3 ? 40 : 6);
        g.height = std::max(g.height, g.kernel_h + g.stride - 2 * g.padding + rng.uniform_int(5));
        g.width = std::max(g.width, g.kernel_w + g.stride - 2 * g.padding + rng.uniform_int(5));
        shapes.push_back(g);
    }
    for (int threads : {1, 2}) {
        ThreadCount tc(threads);
        for (const auto& g : shapes) {
            CAPTURE(g.channels);
            CAPTURE(g.out_channels);
            CAPTURE(g.kernel_h);
            CAPTURE(g.stride);
            CAPTURE(g.padding);
            CAPTURE(g.height);
            CAPTURE(g.width);
            REQUIRE(g.out_height() >= 2);
            REQUIRE(g.out_width() >= 2);
            const index_t N = 1 + rng.uniform_int(6);
            const index_t out_size = N * g.out_channels * kernels::pooled_plane(g);
            const auto x = random_vector<T>(N * g.in_sample(), rng);
            const auto w = random_vector<T>(g.weight_size(), rng);
            const auto b = random_vector<T>(g.out_channels, rng);
            const auto dy = random_vector<T>(out_size, rng);
            // The workspace starts as NaN: nothing may depend on scratch the kernels did not write
            // (the masked gradient's lanes past OC, read by the dense paths, were once left so).
            std::vector<T> work(static_cast<std::size_t>(kernels::conv_relu_pool_workspace_size<T>(g, num_threads())),
                                std::numeric_limits<T>::quiet_NaN());
            std::vector<index_t> table(static_cast<std::size_t>(kernels::conv_relu_pool_table_size(g)));
            std::vector<T> cache(static_cast<std::size_t>(N * kernels::conv_relu_pool_cache_size(g)));

            std::vector<T> y(static_cast<std::size_t>(out_size)), y_ref(y.size());
            std::vector<std::uint8_t> code(y.size()), code_ref(y.size());
            kernels::conv_relu_pool_forward(g, N, x.data(), w.data(), b.data(), y.data(), code.data(), cache.data(),
                                            work.data(), table.data());
            ref::conv_relu_pool_forward(g, N, x.data(), w.data(), b.data(), y_ref.data(), code_ref.data());
            check_close(y, y_ref);
            CHECK(code == code_ref);

            std::vector<T> dx(x.size(), T(9)), dx_ref(x.size());
            std::vector<T> dw(w.size(), T(0.5)), db(b.size(), T(0.25)), dw_ref = dw, db_ref = db;
            kernels::conv_relu_pool_backward(g, N, dy.data(), code.data(), cache.data(), w.data(), dw.data(), db.data(),
                                             dx.data(), work.data(), table.data());
            ref::conv_relu_pool_backward(g, N, dy.data(), code_ref.data(), x.data(), w.data(), dw_ref.data(),
                                         db_ref.data(), dx_ref.data());
            check_close(dx, dx_ref);
            check_close(dw, dw_ref);
            check_close(db, db_ref);

            // Either half alone (null skips it) gives the same numbers.
            std::vector<T> dx2(x.size(), T(-3)), dw2(w.size(), T(0.5)), db2(b.size(), T(0.25));
            kernels::conv_relu_pool_backward<T>(g, N, dy.data(), code.data(), cache.data(), w.data(), nullptr, nullptr,
                                                dx2.data(), work.data(), table.data());
            kernels::conv_relu_pool_backward<T>(g, N, dy.data(), code.data(), cache.data(), w.data(), dw2.data(),
                                                db2.data(), nullptr, work.data(), table.data());
            CHECK(dx2 == dx);
            CHECK(dw2 == dw);
            CHECK(db2 == db);
        }
    }
}
