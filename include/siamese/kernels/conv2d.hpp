// SPDX-License-Identifier: MIT
#pragma once

// Convolution by im2col + GEMM, for the plain Conv2d layer (the tutorial network uses the fused
// kernels of conv_relu_pool.hpp instead).
//
// Parallel over samples, single-threaded GEMMs: each thread unfolds its own images into its own
// slice of the workspace. On the tutorial's conv1 and conv2 this took about half the time of a
// parallel im2col of all images followed by one batch-wide threaded GEMM (docs/performance.md):
// the batch-wide column matrix is 28 MB and streams through memory to be written and again to
// be packed; a per-image one (139 KB) stays in L2 between the two.
// A single sample is the exception: the loop over samples is then serial and its GEMM uses the
// whole team, its packing buffers running on from the first thread's slice into the others'
// (the workspace of `threads` slices holds a GEMM for `threads` threads after one slice's
// columns and partial gradient).

#include <siamese/kernels/conv_geometry.hpp>
#include <siamese/kernels/gemm.hpp>
#include <siamese/kernels/im2col.hpp>
#include <siamese/parallel.hpp>

#include <algorithm>

namespace siamese::kernels {

namespace detail {

/// Where each thread's slice of the conv2d workspace lies, and what it holds: the columns, a
/// partial weight gradient (+ bias) and the single-threaded GEMM's packing buffers, each
/// starting on a cache line of its own. The kernels and the size computation share it, so the
/// slices they address are the ones conv2d_workspace_size counted.
template <class T>
struct Conv2dWorkspaceLayout {
    index_t columns_size = 0;  // K * P, rounded up to a cache line
    index_t partial_size = 0;  // weight_size + OC, rounded up
    index_t gemm_size = 0;     // the largest of the three GEMMs' buffers, rounded up

    explicit constexpr Conv2dWorkspaceLayout(const Conv2dGeometry& g) noexcept {
        const index_t K = g.patch_size(), P = g.out_plane(), OC = g.out_channels;
        const index_t gemm_elements =
            std::max({gemm_workspace_size<T>(OC, P, K, 1), gemm_workspace_size<T>(K, P, OC, 1),
                      gemm_workspace_size<T>(OC, K, P, 1)});
        columns_size = simd::round_up(K * P, simd::line_elements<T>);
        partial_size = simd::round_up(g.weight_size() + OC, simd::line_elements<T>);
        gemm_size = simd::round_up(gemm_elements, simd::line_elements<T>);
    }

    [[nodiscard]] constexpr index_t thread_size() const noexcept { return columns_size + partial_size + gemm_size; }
    [[nodiscard]] constexpr T* columns_of(T* workspace, int t) const noexcept { return workspace + t * thread_size(); }
    /// The partial weight gradient of thread t; its bias gradient follows at weight_size().
    [[nodiscard]] constexpr T* partial_of(T* workspace, int t) const noexcept {
        return columns_of(workspace, t) + columns_size;
    }
    [[nodiscard]] constexpr T* gemm_of(T* workspace, int t) const noexcept {
        return partial_of(workspace, t) + partial_size;
    }
};

}  // namespace detail

/// Elements of workspace the conv2d kernels need with `threads` threads.
template <class T>
[[nodiscard]] constexpr index_t conv2d_workspace_size(const Conv2dGeometry& g, int threads) noexcept {
    return static_cast<index_t>(std::max(threads, 1)) * detail::Conv2dWorkspaceLayout<T>(g).thread_size();
}

/// x: [N, C, H, W]  w: [OC, C, KH, KW]  b: [OC]  ->  y: [N, OC, OH, OW]
/// workspace: conv2d_workspace_size<T>(g, num_threads()) elements.
template <class T>
void conv2d_forward(const Conv2dGeometry& g, index_t N, const T* x, const T* w, const T* b, T* y, T* workspace) {
    const index_t K = g.patch_size(), P = g.out_plane(), OC = g.out_channels;
    const detail::Conv2dWorkspaceLayout<T> layout(g);
    parallel_ranges(N, [&](int t, index_t n0, index_t n1) {
        T* cols = layout.columns_of(workspace, t);
        T* gemm_ws = layout.gemm_of(workspace, t);
        for (index_t n = n0; n < n1; ++n) {
            T* out = y + n * g.out_sample();
            im2col(g, x + n * g.in_sample(), cols);
            gemm(Op::none, Op::none, OC, P, K, T(1), w, K, cols, P, T(0), out, P, gemm_ws);
            for (index_t oc = 0; oc < OC; ++oc) {
                T* row = out + oc * P;
                const T bias = b[oc];
                for (index_t p = 0; p < P; ++p) row[p] += bias;
            }
        }
    });
}

/// dy: [N, OC, OH, OW]  w: [OC, C, KH, KW]  ->  dx: [N, C, H, W] (overwritten)
template <class T>
void conv2d_backward_data(const Conv2dGeometry& g, index_t N, const T* dy, const T* w, T* dx, T* workspace) {
    const index_t K = g.patch_size(), P = g.out_plane(), OC = g.out_channels;
    const detail::Conv2dWorkspaceLayout<T> layout(g);
    parallel_ranges(N, [&](int t, index_t n0, index_t n1) {
        T* dcols = layout.columns_of(workspace, t);
        T* gemm_ws = layout.gemm_of(workspace, t);
        for (index_t n = n0; n < n1; ++n) {
            gemm(Op::transpose, Op::none, K, P, OC, T(1), w, K, dy + n * g.out_sample(), P, T(0), dcols, P, gemm_ws);
            col2im(g, dcols, dx + n * g.in_sample());
        }
    });
}

/// x: [N, C, H, W]  dy: [N, OC, OH, OW]  ->  dw: [OC, C, KH, KW] +=, db: [OC] +=
/// Each thread sums its samples into its own partial gradient; the partials are then added in
/// thread order, split by weight rows, so no two threads write the same memory.
template <class T>
void conv2d_backward_weights(const Conv2dGeometry& g, index_t N, const T* x, const T* dy, T* dw, T* db, T* workspace) {
    const index_t K = g.patch_size(), P = g.out_plane(), OC = g.out_channels;
    const detail::Conv2dWorkspaceLayout<T> layout(g);
    const int threads = num_threads();
    // Zeroed up front, so the sum below is right whatever team size OpenMP grants.
    for (int t = 0; t < threads; ++t) std::fill_n(layout.partial_of(workspace, t), g.weight_size() + OC, T(0));
    parallel_ranges(N, [&](int t, index_t n0, index_t n1) {
        T* cols = layout.columns_of(workspace, t);
        T* dw_part = layout.partial_of(workspace, t);
        T* db_part = dw_part + g.weight_size();
        T* gemm_ws = layout.gemm_of(workspace, t);
        for (index_t n = n0; n < n1; ++n) {
            const T* dy_n = dy + n * g.out_sample();
            im2col(g, x + n * g.in_sample(), cols);
            gemm(Op::none, Op::transpose, OC, K, P, T(1), dy_n, P, cols, P, T(1), dw_part, K, gemm_ws);
            for (index_t oc = 0; oc < OC; ++oc) {
                T s = 0;
                for (index_t p = 0; p < P; ++p) s += dy_n[oc * P + p];
                db_part[oc] += s;
            }
        }
    });
    // One sample: only the first slice holds a partial gradient; the GEMM used the others' space.
    const int partials = N < 2 ? 1 : threads;
    parallel_ranges(OC, [&](int, index_t oc0, index_t oc1) {
        for (int t = 0; t < partials; ++t) {
            const T* dw_part = layout.partial_of(workspace, t);
            const T* db_part = dw_part + g.weight_size();
            for (index_t i = oc0 * K; i < oc1 * K; ++i) dw[i] += dw_part[i];
            for (index_t oc = oc0; oc < oc1; ++oc) db[oc] += db_part[oc];
        }
    });
}

}  // namespace siamese::kernels
