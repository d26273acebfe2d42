// SPDX-License-Identifier: MIT
// Differential tests: every fast kernel against its naive twin in kernels::reference,
// on random shapes, strides, paddings and odd sizes, with one thread and with all.
#include "test_util.hpp"

#include <cstdint>
#include <type_traits>
#include <vector>

using namespace siamese;
namespace ref = siamese::kernels::reference;

namespace {

struct ThreadCount {
    int threads;
    explicit ThreadCount(int n) : threads(n) { set_num_threads(n); }
    ~ThreadCount() { set_num_threads(0); }
};

/// Relative agreement with a floor: double results must agree to ~1e-12, float results (sums of up
/// to a few hundred products of values in [-1, 1]) to 1e-5 of max(|value|, 1).
template <class T>
void check_close(const std::vector<T>& a, const std::vector<T>& b) {
    REQUIRE(a.size() == b.size());
    constexpr bool is_double = std::is_same_v<T, double>;
    const double d = test::max_relative_difference(a.data(), b.data(), static_cast<index_t>(a.size()), is_double ? 1e-6 : 1.0);
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

TEST_CASE("gemm matches the naive product for every transpose combination") {
    Rng rng(11);
    using kernels::Op;
    for (int trial = 0; trial < 20; ++trial) {
        const index_t M = 1 + rng.uniform_int(17), N = 1 + rng.uniform_int(17), K = 1 + rng.uniform_int(17);
        const auto A = random_vector<double>(M * K, rng);
        const auto B = random_vector<double>(K * N, rng);
        std::vector<double> expected(static_cast<std::size_t>(M * N));
        ref::matmul(M, N, K, A.data(), B.data(), expected.data());
        // Transposed copies of A and B.
        std::vector<double> At(A.size()), Bt(B.size());
        for (index_t i = 0; i < M; ++i)
            for (index_t k = 0; k < K; ++k) At[static_cast<std::size_t>(k * M + i)] = A[static_cast<std::size_t>(i * K + k)];
        for (index_t k = 0; k < K; ++k)
            for (index_t j = 0; j < N; ++j) Bt[static_cast<std::size_t>(j * K + k)] = B[static_cast<std::size_t>(k * N + j)];
        for (int combo = 0; combo < 4; ++combo) {
            const Op oa = combo & 1 ? Op::transpose : Op::none;
            const Op ob = combo & 2 ? Op::transpose : Op::none;
            std::vector<double> C(expected.size(), 3.0);
            kernels::gemm(oa, ob, M, N, K, 2.0, (combo & 1 ? At : A).data(), combo & 1 ? M : K,
                          (combo & 2 ? Bt : B).data(), combo & 2 ? K : N, 0.5, C.data(), N);
            std::vector<double> want(expected.size());
            for (std::size_t i = 0; i < want.size(); ++i) want[i] = 2.0 * expected[i] + 1.5;
            check_close(C, want);
        }
    }
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

TEST_CASE_TEMPLATE("conv2d kernels match the direct reference on random shapes, 1 thread and all", T, double, float) {
    Rng rng(13);
    for (int threads : {1, 0}) {
        ThreadCount tc(threads);
        for (int trial = 0; trial < 25; ++trial) {
            const auto g = random_conv(rng);
            const index_t N = 1 + rng.uniform_int(5);
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
            std::vector<T> work(static_cast<std::size_t>(kernels::conv2d_workspace_size(g, num_threads())));

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
    }
}

TEST_CASE("max_pool2d matches the reference, including odd sizes and overlapping windows") {
    Rng rng(14);
    for (int threads : {1, 0}) {
        ThreadCount tc(threads);
        for (int trial = 0; trial < 25; ++trial) {
            kernels::Pool2dGeometry g;
            g.channels = 1 + rng.uniform_int(4);
            g.kernel = 1 + rng.uniform_int(3);
            g.stride = 1 + rng.uniform_int(3);
            g.height = g.kernel + rng.uniform_int(9);
            g.width = g.kernel + rng.uniform_int(9);
            const index_t N = 1 + rng.uniform_int(4);
            const auto x = random_vector<double>(N * g.in_sample(), rng);
            std::vector<double> y(static_cast<std::size_t>(N * g.out_sample())), y_ref(y.size());
            std::vector<std::int32_t> arg(y.size()), arg_ref(y.size());
            kernels::max_pool2d_forward(g, N, x.data(), y.data(), arg.data());
            ref::max_pool2d_forward(g, N, x.data(), y_ref.data(), arg_ref.data());
            CHECK(y == y_ref);
            CHECK(arg == arg_ref);

            // Backward: every gradient lands on its window's argmax, overlapping windows add up.
            const auto dy = random_vector<double>(static_cast<index_t>(y.size()), rng);
            std::vector<double> dx(x.size(), 7.0), dx_ref(x.size(), 0.0);
            kernels::max_pool2d_backward(g, N, dy.data(), arg.data(), dx.data());
            const index_t plane_in = g.height * g.width, plane_out = g.out_height() * g.out_width();
            for (index_t nc = 0; nc < N * g.channels; ++nc)
                for (index_t i = 0; i < plane_out; ++i)
                    dx_ref[static_cast<std::size_t>(nc * plane_in + arg_ref[static_cast<std::size_t>(nc * plane_out + i)])] +=
                        dy[static_cast<std::size_t>(nc * plane_out + i)];
            check_close(dx, dx_ref);
        }
    }
}

TEST_CASE("linear kernels match the reference") {
    Rng rng(15);
    for (int trial = 0; trial < 20; ++trial) {
        const index_t N = 1 + rng.uniform_int(9), IN = 1 + rng.uniform_int(40), OUT = 1 + rng.uniform_int(20);
        const auto x = random_vector<double>(N * IN, rng);
        const auto w = random_vector<double>(OUT * IN, rng);
        const auto b = random_vector<double>(OUT, rng);
        std::vector<double> y(static_cast<std::size_t>(N * OUT)), y_ref(y.size());
        kernels::linear_forward(N, IN, OUT, x.data(), w.data(), b.data(), y.data());
        ref::linear_forward(N, IN, OUT, x.data(), w.data(), b.data(), y_ref.data());
        check_close(y, y_ref);
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
