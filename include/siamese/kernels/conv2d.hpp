// SPDX-License-Identifier: MIT
#pragma once

// Convolution by im2col + GEMM. Parallel over samples: each thread unfolds its own images
// into its own slice of the workspace and runs single-threaded GEMMs on them.

#include <siamese/kernels/conv_geometry.hpp>
#include <siamese/kernels/gemm.hpp>
#include <siamese/kernels/im2col.hpp>
#include <siamese/parallel.hpp>

#include <algorithm>

namespace siamese::kernels {

/// Elements of workspace the conv2d kernels need with `threads` threads.
[[nodiscard]] constexpr index_t conv2d_workspace_size(const Conv2dGeometry& g, int threads) noexcept {
    // Per thread: one column matrix, and one partial weight gradient (+ bias) for backward.
    return static_cast<index_t>(threads) * (g.patch_size() * g.out_plane() + g.weight_size() + g.out_channels);
}

/// x: [N, C, H, W]  w: [OC, C, KH, KW]  b: [OC]  ->  y: [N, OC, OH, OW]
/// workspace: conv2d_workspace_size(g, num_threads()) elements.
template <class T>
void conv2d_forward(const Conv2dGeometry& g, index_t N, const T* x, const T* w, const T* b, T* y, T* workspace) {
    const index_t per_thread = conv2d_workspace_size(g, 1);
    const index_t K = g.patch_size(), P = g.out_plane();
    parallel_for(N, [&](index_t n) {
        T* cols = workspace + thread_index() * per_thread;
        T* out = y + n * g.out_sample();
        im2col(g, x + n * g.in_sample(), cols);
        gemm(Op::none, Op::none, g.out_channels, P, K, T(1), w, K, cols, P, T(0), out, P);
        for (index_t oc = 0; oc < g.out_channels; ++oc) {
            T* row = out + oc * P;
            const T bias = b[oc];
            for (index_t p = 0; p < P; ++p) row[p] += bias;
        }
    });
}

/// dy: [N, OC, OH, OW]  w: [OC, C, KH, KW]  ->  dx: [N, C, H, W] (overwritten)
template <class T>
void conv2d_backward_data(const Conv2dGeometry& g, index_t N, const T* dy, const T* w, T* dx, T* workspace) {
    const index_t per_thread = conv2d_workspace_size(g, 1);
    const index_t K = g.patch_size(), P = g.out_plane();
    parallel_for(N, [&](index_t n) {
        T* dcols = workspace + thread_index() * per_thread;
        gemm(Op::transpose, Op::none, K, P, g.out_channels, T(1), w, K, dy + n * g.out_sample(), P, T(0), dcols, P);
        col2im(g, dcols, dx + n * g.in_sample());
    });
}

/// x: [N, C, H, W]  dy: [N, OC, OH, OW]  ->  dw: [OC, C, KH, KW] +=, db: [OC] +=
/// Each thread sums its samples into its own partial gradient; the partials are then added in
/// thread order, so no two threads write the same memory.
template <class T>
void conv2d_backward_weights(const Conv2dGeometry& g, index_t N, const T* x, const T* dy, T* dw, T* db,
                             T* workspace) {
    const index_t per_thread = conv2d_workspace_size(g, 1);
    const index_t K = g.patch_size(), P = g.out_plane(), OC = g.out_channels;
    const int threads = num_threads();
    for (int t = 0; t < threads; ++t) {
        std::fill_n(workspace + t * per_thread + K * P, g.weight_size() + OC, T(0));
    }
    parallel_for(N, [&](index_t n) {
        T* cols = workspace + thread_index() * per_thread;
        T* dw_part = cols + K * P;
        T* db_part = dw_part + g.weight_size();
        const T* dy_n = dy + n * g.out_sample();
        im2col(g, x + n * g.in_sample(), cols);
        gemm(Op::none, Op::transpose, OC, K, P, T(1), dy_n, P, cols, P, T(1), dw_part, K);
        for (index_t oc = 0; oc < OC; ++oc) {
            T s = 0;
            for (index_t p = 0; p < P; ++p) s += dy_n[oc * P + p];
            db_part[oc] += s;
        }
    });
    for (int t = 0; t < threads; ++t) {
        const T* dw_part = workspace + t * per_thread + K * P;
        const T* db_part = dw_part + g.weight_size();
        for (index_t i = 0; i < g.weight_size(); ++i) dw[i] += dw_part[i];
        for (index_t oc = 0; oc < OC; ++oc) db[oc] += db_part[oc];
    }
}

}  // namespace siamese::kernels
