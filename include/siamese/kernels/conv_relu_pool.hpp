// SPDX-License-Identifier: MIT
#pragma once

// Convolution + bias -> ReLU -> 2x2 max-pool (stride 2) in one pass, and its backward.
//
// Forward is an implicit GEMM: no im2col matrix. A register tile is WT pool windows (4*WT conv
// pixels, taken window by window) by NV vectors of output channels; each step of
// k = (c, kh, kw) broadcasts one input value per pixel, read straight from the image through a
// table of tap offsets, and loads NV vectors of packed weights. The tile then ends in
// registers: + bias, max over each window's 4 pixels, ReLU, and a one-byte code per pooled
// output saying which pixel won (0..3, row-major in the window) or 255 when ReLU cut it.
// Only conv pixels inside a pool window are computed: for conv2 of the tutorial (11x11 -> 5x5)
// that skips 21 of 121. Its speed against the bare register tile and against im2col + GEMM:
// docs/performance.md.
// Windows of consecutive images share tiles, so 25 windows per image waste no tile rows.
//
// Backward uses the codes: the gradient reaching a conv output is dy at the winning pixel of
// each window and zero at the other three, so
//   - weight gradient, input gradient: per output channel and window, one AXPY of length
//     C*KH*KW, vectorised over input channels in NHWC order ("sparse": a quarter of the dense
//     GEMM's multiply-adds, and none for windows ReLU cut);
//   - for few input channels (conv1: C = 1) the weight gradient is instead a dense product
//     vectorised over output channels, masking dy by the codes on the fly.
// Threads: one level, over images; each thread owns its images' outputs and a partial weight
// gradient, summed in a fixed order at the end (no atomics, results independent of timing).
// The parts live in conv_relu_pool_layout.hpp (shapes, tiles, memory) and
// conv_relu_pool_image.hpp (one tile or one image); this header runs them over a batch.

#include <siamese/kernels/conv_geometry.hpp>
#include <siamese/kernels/conv_relu_pool_image.hpp>
#include <siamese/kernels/conv_relu_pool_layout.hpp>
#include <siamese/kernels/simd.hpp>
#include <siamese/kernels/transpose.hpp>
#include <siamese/parallel.hpp>

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace siamese::kernels {

/// x: [N, C, H, W]  w: [OC, C, KH, KW]  b: [OC]
///   ->  y: [N, OC, PH, PW] = maxpool2x2(relu(conv(x) + b)),
///       code: [N, PH*PW, OC] (which pixel of each window won: 0..3 row-major, or relu_cut),
///       cache: [N, Hp, Wp, C] (x zero-padded in NHWC order, for backward; untouched when the
///       input is channels-last: x is the cache then).
/// fmt: channels-last x [N, H, W, C] and/or y [N, PH, PW, OC] instead (see ConvPoolFormat).
/// workspace: conv_relu_pool_workspace_size<T>(g, num_threads()); table: conv_relu_pool_table_size(g).
template <class T>
void conv_relu_pool_forward(const Conv2dGeometry& g, index_t N, const T* x, const T* w, const T* b, T* y,
                            std::uint8_t* code, T* cache, T* workspace, index_t* table, ConvPoolFormat fmt = {}) {
    using Tile = ConvPoolTile<T>;
    constexpr int WT = Tile::wt, NV = Tile::nv;
    constexpr index_t OB = Tile::oc_block;
    const detail::ConvPoolLayout<T> L{g};
    const index_t K = L.k(), OC = g.out_channels, OCP = L.ocp(), PHW = L.phw(), CS = L.cache_sample();

    // Shared, once per call: weights as [OCP/OB][K][OB] (zero past OC), bias padded, offsets.
    T* wp = workspace;
    T* bias = wp + OCP * K;
    for (index_t blk = 0; blk < OCP / OB; ++blk) {
        const index_t rows = std::min(OB, OC - blk * OB);
        transpose(rows, K, w + blk * OB * K, K, wp + blk * K * OB, OB);
        for (index_t k = 0; k < K; ++k)
            for (index_t j = rows; j < OB; ++j) wp[(blk * K + k) * OB + j] = T(0);
    }
    for (index_t oc = 0; oc < OCP; ++oc) bias[oc] = oc < OC ? b[oc] : T(0);
    L.fill_tables(table);
    const index_t* koff = table;
    const index_t* pixel = koff + K;

    T* per_thread = workspace + L.shared();
    const index_t G = L.images_per_chunk();
    parallel_ranges(N, [&](int t, index_t n_begin, index_t n_end) {
        T* pooled = per_thread + t * L.thread_size();
        for (index_t n0 = n_begin; n0 < n_end; n0 += G) {
            const index_t images = std::min(G, n_end - n0);
            if (!fmt.input_channels_last) {
                for (index_t i = 0; i < images; ++i) {
                    detail::fill_cache(L, x + (n0 + i) * g.in_sample(), cache + (n0 + i) * CS);
                }
            }
            const T* src = (fmt.input_channels_last ? x : cache) + n0 * CS;
            const index_t windows = images * PHW;
            for (index_t blk = 0; blk < OCP / OB; ++blk) {
                const index_t valid_oc = std::min(OB, OC - blk * OB);
                index_t img = 0, win = 0;  // the next window, advanced without divisions
                for (index_t w0 = 0; w0 < windows; w0 += WT) {
                    const T* px[4 * WT];
                    T* out[WT];
                    std::uint8_t* cd[WT];
                    const int valid = static_cast<int>(std::min<index_t>(WT, windows - w0));
                    for (int i = 0; i < WT; ++i) {
                        // Past the last window: repeat it (valid memory, result dropped).
                        const T* base = src + img * CS;
                        for (int q = 0; q < 4; ++q) px[4 * i + q] = base + pixel[4 * win + q];
                        out[i] = fmt.output_channels_last ? y + ((n0 + img) * PHW + win) * OC + blk * OB
                                                          : pooled + (img * PHW + win) * OCP + blk * OB;
                        cd[i] = code + ((n0 + img) * PHW + win) * OC + blk * OB;
                        if (i + 1 < valid && ++win == PHW) {
                            win = 0;
                            ++img;
                        }
                    }
                    if (valid == WT && ++win == PHW) {
                        win = 0;
                        ++img;
                    }
                    detail::conv_pool_tile<T, WT, NV>(K, px, koff, wp + blk * K * OB, bias + blk * OB, out, cd,
                                                      valid_oc, valid);
                }
            }
            // Pooled [window][OC] -> y [OC][window], image by image.
            for (index_t i = 0; i < images && !fmt.output_channels_last; ++i) {
                transpose(PHW, OC, pooled + i * PHW * OCP, OCP, y + (n0 + i) * OC * PHW, PHW);
            }
        }
    });
}

/// Backward of conv_relu_pool_forward, from what it cached (code, cache: for a channels-last
/// input, the input itself).
/// dy: [N, OC, PH, PW]  code  cache  w: [OC, C, KH, KW]
///   ->  dw: [OC, C, KH, KW] +=, db: [OC] += (both skipped when dw is null),
///       dx: [N, C, H, W] overwritten (skipped when null).
/// fmt: as given to forward (dy in y's order, dx in x's). workspace and table as for forward.
template <class T>
void conv_relu_pool_backward(const Conv2dGeometry& g, index_t N, const T* dy, const std::uint8_t* code, const T* cache,
                             const T* w, T* dw, T* db, T* dx, T* workspace, index_t* table, ConvPoolFormat fmt = {}) {
    const detail::ConvPoolLayout<T> L{g};
    const index_t K = L.k(), C = g.channels, OC = g.out_channels, OCP = L.ocp(), PHW = L.phw();
    const index_t TAPS = L.taps(), CS = L.cache_sample();
    // Both gradients take the sparse path (vectorised over input channels) or both the dense one.
    const bool sparse = L.sparse_path();
    L.fill_tables(table);
    const index_t* koff = table;
    const index_t* pixel = koff + K;
    const index_t* tapoff = pixel + 4 * PHW;

    // Shared: the weights for the input gradient, as [OC][tap][C] (sparse) or [K][OCP] (dense).
    T* w_backward = workspace + L.packed_size();
    if (dx && sparse) {
        for (index_t oc = 0; oc < OC; ++oc) transpose(C, TAPS, w + oc * K, TAPS, w_backward + oc * K, C);
    } else if (dx) {
        transpose(OC, K, w, K, w_backward, OCP);
        for (index_t k = 0; k < K; ++k) std::fill(w_backward + k * OCP + OC, w_backward + (k + 1) * OCP, T(0));
    }
    T* per_thread = workspace + L.shared();
    const int threads = num_threads();
    auto part = [&](int t) { return L.backward_part(per_thread + t * L.thread_size()); };
    // Zero every partial up front, so the sum below is right whatever team size OpenMP grants.
    for (int t = 0; t < threads; ++t) {
        const auto slices = part(t);
        std::fill_n(slices.masked_dy, L.grad_size(), T(0));  // lanes past OC stay zero for good
        std::fill_n(slices.dw, L.dw_size(), T(0));
        std::fill_n(slices.db, OCP, T(0));
    }

    parallel_ranges(N, [&](int t, index_t n_begin, index_t n_end) {
        const auto slices = part(t);
        T* gT = slices.masked_dy;
        T* dxc = slices.dx;
        T* dw_part = slices.dw;
        T* db_part = slices.db;
        for (index_t n = n_begin; n < n_end; ++n) {
            const std::uint8_t* cd = code + n * PHW * OC;
            const T* xc = cache + n * CS;
            // dy [OC][window] -> [window][OC] (already so when channels-last), zero where ReLU
            // cut the gradient.
            const T* dy_n = dy + n * OC * PHW;
            if (!fmt.output_channels_last) transpose(OC, PHW, dy_n, PHW, gT, OCP);
            using V = simd::Vec<T>;
            const V cut = V::broadcast(T(relu_cut));
            for (index_t win = 0; win < PHW; ++win) {
                T* row = gT + win * OCP;
                const T* src = fmt.output_channels_last ? dy_n + win * OC : row;
                for (index_t oc = 0; oc < OC; oc += V::width) {
                    const index_t lanes = OC - oc;
                    const V grad = select(equal(V::load_bytes(cd + win * OC + oc, lanes), cut), V::zero(),
                                          V::load_n(src + oc, lanes));
                    grad.store_n(row + oc, lanes);
                    (V::load_n(db_part + oc, lanes) + grad).store_n(db_part + oc, lanes);
                }
            }
            if (dw && sparse) {
                detail::dispatch_channel_block<T>(C, [&](auto cb, auto full) {
                    detail::sparse_weights_image<T, decltype(cb)::value, decltype(full)::value>(L, xc, gT, cd, pixel,
                                                                                                tapoff, dw_part);
                });
            } else if (dw) {
                detail::dense_weights_image(L, xc, gT, cd, koff, pixel, dw_part);
            }
            if (dx) {
                // Accumulated in the thread's scratch, which stays in L1, then written out once:
                // accumulating in place in a channels-last dx measured 3.1 against 2.5 ms (conv2).
                std::fill_n(dxc, CS, T(0));
                if (sparse) {
                    detail::dispatch_channel_block<T>(C, [&](auto cb, auto full) {
                        detail::sparse_data_image<T, decltype(cb)::value, decltype(full)::value>(L, gT, cd, w_backward,
                                                                                                 pixel, tapoff, dxc);
                    });
                } else {
                    detail::dense_data_image(L, gT, cd, w_backward, koff, pixel, dxc);
                }
                // NHWC (padded) -> NCHW, dropping the padding.
                T* out = dx + n * g.in_sample();
                const index_t Wp = L.wp(), p = g.padding;
                if (fmt.input_channels_last) {
                    std::copy_n(dxc, CS, dx + n * CS);  // padding 0: the scratch is the NHWC image
                } else if (p == 0) {
                    transpose(g.height * g.width, C, dxc, C, out, g.height * g.width);
                } else {
                    for (index_t h = 0; h < g.height; ++h) {
                        transpose(g.width, C, dxc + ((h + p) * Wp + p) * C, C, out + h * g.width, g.height * g.width);
                    }
                }
            }
        }
    });
    if (!dw) return;

    // Sum the partials in thread order into dw [OC][C][KH][KW] and db, split by output channel.
    parallel_ranges(OC, [&](int, index_t oc0, index_t oc1) {
        for (int t = 0; t < threads; ++t) {
            const T* dw_part = part(t).dw;
            const T* db_part = part(t).db;
            for (index_t oc = oc0; oc < oc1; ++oc) {
                db[oc] += db_part[oc];
                for (index_t c = 0; c < C; ++c)
                    for (index_t tap = 0; tap < TAPS; ++tap) {
                        dw[(oc * C + c) * TAPS + tap] +=
                            sparse ? dw_part[(oc * TAPS + tap) * C + c] : dw_part[((c * TAPS) + tap) * OCP + oc];
                    }
            }
        }
    });
}

}  // namespace siamese::kernels
