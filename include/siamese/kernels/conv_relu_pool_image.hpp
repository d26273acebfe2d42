// SPDX-License-Identifier: MIT
#pragma once

// The fused conv -> ReLU -> 2x2 max-pool kernels' inner parts, one tile or one image at a time:
// the forward register tile, the input cache writer, and the four backward kernels (weight and
// input gradients, vectorised over input channels or, for few of them, over output channels).
// conv_relu_pool.hpp splits the batch into these and runs them in parallel.

#include <siamese/kernels/conv_relu_pool_layout.hpp>
#include <siamese/kernels/simd.hpp>
#include <siamese/kernels/transpose.hpp>

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace siamese::kernels::detail {

/// One forward tile: pixels px[0 .. 4*WT) (window by window), k-offsets koff[0 .. K), packed
/// weights wp [K][NV*W]; writes WT windows' pooled values and codes (valid_windows of them,
/// valid_oc channels each) to out[w] and code[w].
// px: 4*WT pointers into a cached image   wp: [K, NV*W]  ->  out[w]: [valid_oc], code[w]: [valid_oc]
template <class T, int WT, int NV>
inline void conv_pool_tile(index_t K, const T* const* px, const index_t* koff, const T* wp, const T* bias,
                           T* const* out, std::uint8_t* const* code, index_t valid_oc, int valid_windows) noexcept {
    using V = simd::Vec<T>;
    constexpr int W = V::width, MR = 4 * WT;
    V acc[MR][NV];
    const T* p[MR];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
        p[i] = px[i];
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[i][j] = V::zero();
    }
    for (index_t k = 0; k < K; ++k) {
        const index_t o = koff[k];
        V wv[NV];
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) wv[j] = V::load(wp + k * NV * W + j * W);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
            const V xv = V::broadcast(p[i][o]);
#pragma GCC unroll 4
            for (int j = 0; j < NV; ++j) acc[i][j] = fmadd(xv, wv[j], acc[i][j]);
        }
    }
    const V zero = V::zero();
#pragma GCC unroll 4
    for (int w = 0; w < WT; ++w) {
        if (w >= valid_windows) break;
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) {
            const index_t lanes = valid_oc - j * W;
            if (lanes <= 0) break;
            // Bias before the max, as the unfused layers do, so ties resolve identically.
            const V b = V::load(bias + j * W);
            V best = acc[4 * w][j] + b;
            V arg = zero, sum = best;
#pragma GCC unroll 4
            for (int q = 1; q < 4; ++q) {
                const V v = acc[4 * w + q][j] + b;
                const auto m = greater(v, best);  // strict: the first maximum wins a tie
                best = select(m, v, best);
                arg = select(m, V::broadcast(T(q)), arg);
                sum = sum + v;
            }
            const auto alive = greater(best, zero);
            // A NaN anywhere in the window makes the output NaN (as ReLU and MaxPool2d do), so a
            // broken weight shows in the loss instead of vanishing behind the ReLU.
            const V nan = select(equal(sum, sum), zero, sum);
            (select(alive, best, zero) + nan).store_n(out[w] + j * W, lanes);
            select(alive, arg, V::broadcast(T(relu_cut))).store_bytes(code[w] + j * W, lanes);
        }
    }
}

/// Writes one image into the cache: zero-padded NHWC.
// x: [C, H, W]  ->  cache: [Hp, Wp, C]
template <class T>
void fill_cache(const ConvPoolLayout<T>& L, const T* x, T* cache) noexcept {
    const Conv2dGeometry& g = L.g;
    const index_t C = g.channels, HW = g.height * g.width;
    if (g.padding == 0) {
        if (C == 1) {
            std::copy_n(x, HW, cache);
        } else {
            transpose(C, HW, x, HW, cache, C);
        }
        return;
    }
    std::fill_n(cache, L.cache_sample(), T(0));
    for (index_t h = 0; h < g.height; ++h) {
        transpose(C, g.width, x + h * g.width, HW, cache + ((h + g.padding) * L.wp() + g.padding) * C, C);
    }
}

/// Weight gradient of one image, vectorised over input channels: for each output channel and
/// each window whose gradient g is non-zero, dw[oc][tap][c] += g * x[winning pixel + tap][c].
/// A chunk of TPC taps x CB vectors of channels stays in registers across the windows.
// xc: [Hp, Wp, C]  gT: [PHW, OCP]  code: [PHW, OC]  ->  dw: [OC, KH*KW, C] +=
template <class T, int CB, bool Full>
void sparse_weights_image(const ConvPoolLayout<T>& L, const T* xc, const T* gT, const std::uint8_t* code,
                          const index_t* pixel, const index_t* tapoff, T* dw) noexcept {
    using V = simd::Vec<T>;
    constexpr int W = V::width, TPC = ConvPoolTile<T>::kv / CB;
    const index_t C = L.g.channels, OC = L.g.out_channels, OCP = L.ocp(), PHW = L.phw(), TAPS = L.taps();
    for (index_t oc = 0; oc < OC; ++oc) {
        for (index_t c0 = 0; c0 < C; c0 += CB * W) {
            for (index_t t0 = 0; t0 < TAPS; t0 += TPC) {
                const index_t taps = std::min<index_t>(TPC, TAPS - t0);
                T* row = dw + (oc * TAPS + t0) * C + c0;
                V acc[TPC][CB]{};  // zeroed: only the first `taps` rows are used, which GCC cannot see
#pragma GCC unroll 32
                for (int tt = 0; tt < TPC; ++tt) {
                    if (tt >= taps) break;
#pragma GCC unroll 4
                    for (int j = 0; j < CB; ++j) {
                        acc[tt][j] =
                            Full ? V::load(row + tt * C + j * W) : V::load_n(row + tt * C + j * W, C - c0 - j * W);
                    }
                }
                for (index_t w = 0; w < PHW; ++w) {
                    const T g = gT[w * OCP + oc];
                    if (g == T(0)) continue;  // ReLU cut (zeroed in gT) or no gradient
                    const V gv = V::broadcast(g);
                    const T* p = xc + pixel[4 * w + code[w * OC + oc]] + c0;
#pragma GCC unroll 32
                    for (int tt = 0; tt < TPC; ++tt) {
                        if (tt >= taps) break;
                        const T* base = p + tapoff[t0 + tt];
#pragma GCC unroll 4
                        for (int j = 0; j < CB; ++j) {
                            const V xv = Full ? V::load(base + j * W) : V::load_n(base + j * W, C - c0 - j * W);
                            acc[tt][j] = fmadd(gv, xv, acc[tt][j]);
                        }
                    }
                }
#pragma GCC unroll 32
                for (int tt = 0; tt < TPC; ++tt) {
                    if (tt >= taps) break;
#pragma GCC unroll 4
                    for (int j = 0; j < CB; ++j) {
                        if (Full) {
                            acc[tt][j].store(row + tt * C + j * W);
                        } else {
                            acc[tt][j].store_n(row + tt * C + j * W, C - c0 - j * W);
                        }
                    }
                }
            }
        }
    }
}

/// Input gradient of one image, vectorised over input channels: for each output channel and
/// each window with gradient g, dx[winning pixel + tap][c] += g * w[oc][tap][c]. The weight row
/// chunk stays in registers; dx (one image, NHWC) stays in L1.
// gT: [PHW, OCP]  code: [PHW, OC]  wt: [OC, KH*KW, C]  ->  dxc: [Hp, Wp, C] +=
template <class T, int CB, bool Full>
void sparse_data_image(const ConvPoolLayout<T>& L, const T* gT, const std::uint8_t* code, const T* wt,
                       const index_t* pixel, const index_t* tapoff, T* dxc) noexcept {
    using V = simd::Vec<T>;
    constexpr int W = V::width, TPC = ConvPoolTile<T>::kv / CB;
    const index_t C = L.g.channels, OC = L.g.out_channels, OCP = L.ocp(), PHW = L.phw(), TAPS = L.taps();
    for (index_t oc = 0; oc < OC; ++oc) {
        for (index_t c0 = 0; c0 < C; c0 += CB * W) {
            for (index_t t0 = 0; t0 < TAPS; t0 += TPC) {
                const index_t taps = std::min<index_t>(TPC, TAPS - t0);
                const T* row = wt + (oc * TAPS + t0) * C + c0;
                V wr[TPC][CB]{};  // zeroed: only the first `taps` rows are used, which GCC cannot see
#pragma GCC unroll 32
                for (int tt = 0; tt < TPC; ++tt) {
                    if (tt >= taps) break;
#pragma GCC unroll 4
                    for (int j = 0; j < CB; ++j) {
                        wr[tt][j] =
                            Full ? V::load(row + tt * C + j * W) : V::load_n(row + tt * C + j * W, C - c0 - j * W);
                    }
                }
                for (index_t w = 0; w < PHW; ++w) {
                    const T g = gT[w * OCP + oc];
                    if (g == T(0)) continue;
                    const V gv = V::broadcast(g);
                    T* p = dxc + pixel[4 * w + code[w * OC + oc]] + c0;
#pragma GCC unroll 32
                    for (int tt = 0; tt < TPC; ++tt) {
                        if (tt >= taps) break;
                        T* base = p + tapoff[t0 + tt];
#pragma GCC unroll 4
                        for (int j = 0; j < CB; ++j) {
                            if (Full) {
                                fmadd(gv, wr[tt][j], V::load(base + j * W)).store(base + j * W);
                            } else {
                                const index_t lanes = C - c0 - j * W;
                                fmadd(gv, wr[tt][j], V::load_n(base + j * W, lanes)).store_n(base + j * W, lanes);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Weight gradient of one image for few input channels, vectorised over output channels: the
/// dense product over the 4 pixels of every window, with dy masked by the codes on the fly.
// xc: [Hp, Wp, C]  gT: [PHW, OCP]  code: [PHW, OC]  ->  dwT: [K, OCP] +=
template <class T>
void dense_weights_image(const ConvPoolLayout<T>& L, const T* xc, const T* gT, const std::uint8_t* code,
                         const index_t* koff, const index_t* pixel, T* dwT) noexcept {
    using V = simd::Vec<T>;
    constexpr int W = V::width, NV = ConvPoolTile<T>::nv, KB = ConvPoolTile<T>::kb;
    constexpr index_t OB = ConvPoolTile<T>::oc_block;
    const index_t K = L.k(), OC = L.g.out_channels, OCP = L.ocp(), PHW = L.phw();
    for (index_t ob = 0; ob < OCP; ob += OB) {
        for (index_t k0 = 0; k0 < K; k0 += KB) {
            const index_t kb = std::min<index_t>(KB, K - k0);
            V acc[KB][NV]{};  // zeroed: only the first `kb` rows are used, which GCC cannot see
#pragma GCC unroll 16
            for (int kk = 0; kk < KB; ++kk) {
                if (kk >= kb) break;
#pragma GCC unroll 4
                for (int j = 0; j < NV; ++j) acc[kk][j] = V::load(dwT + (k0 + kk) * OCP + ob + j * W);
            }
            for (index_t w = 0; w < PHW; ++w) {
                V g[NV], c[NV];
#pragma GCC unroll 4
                for (int j = 0; j < NV; ++j) {
                    g[j] = V::load(gT + w * OCP + ob + j * W);  // zero where ReLU cut and past OC
                    c[j] = V::load_bytes(code + w * OC + ob + j * W, OC - ob - j * W);
                }
#pragma GCC unroll 4
                for (int q = 0; q < 4; ++q) {
                    V gq[NV];
#pragma GCC unroll 4
                    for (int j = 0; j < NV; ++j) gq[j] = select(equal(c[j], V::broadcast(T(q))), g[j], V::zero());
                    const T* p = xc + pixel[4 * w + q];
#pragma GCC unroll 16
                    for (int kk = 0; kk < KB; ++kk) {
                        if (kk >= kb) break;
                        const V xv = V::broadcast(p[koff[k0 + kk]]);
#pragma GCC unroll 4
                        for (int j = 0; j < NV; ++j) acc[kk][j] = fmadd(xv, gq[j], acc[kk][j]);
                    }
                }
            }
#pragma GCC unroll 16
            for (int kk = 0; kk < KB; ++kk) {
                if (kk >= kb) break;
#pragma GCC unroll 4
                for (int j = 0; j < NV; ++j) acc[kk][j].store(dwT + (k0 + kk) * OCP + ob + j * W);
            }
        }
    }
}

/// Input gradient of one image for few input channels, vectorised over output channels: each
/// tap of each winning pixel gets a dot product over output channels of masked dy and weights.
// gT: [PHW, OCP]  code: [PHW, OC]  wk: [K, OCP]  ->  dxc: [Hp, Wp, C] +=
template <class T>
void dense_data_image(const ConvPoolLayout<T>& L, const T* gT, const std::uint8_t* code, const T* wk,
                      const index_t* koff, const index_t* pixel, T* dxc) noexcept {
    using V = simd::Vec<T>;
    constexpr int W = V::width;
    const index_t K = L.k(), OC = L.g.out_channels, OCP = L.ocp(), PHW = L.phw();
    for (index_t w = 0; w < PHW; ++w) {
        for (int q = 0; q < 4; ++q) {
            T* p = dxc + pixel[4 * w + q];
            for (index_t k = 0; k < K; ++k) {
                V acc = V::zero();
                for (index_t o = 0; o < OCP; o += W) {
                    const V c = V::load_bytes(code + w * OC + o, OC - o);
                    const V g = select(equal(c, V::broadcast(T(q))), V::load(gT + w * OCP + o), V::zero());
                    acc = fmadd(g, V::load(wk + k * OCP + o), acc);
                }
                p[koff[k]] += acc.sum();
            }
        }
    }
}

/// Picks the channel-vector block (1..4 vectors, full or with a partial last vector) at run
/// time and calls f with it as template arguments.
template <class T, class F>
void dispatch_channel_block(index_t C, F&& f) {
    constexpr index_t W = simd::Vec<T>::width;
    const index_t vectors = (C + W - 1) / W;
    const index_t cb = std::min<index_t>(vectors, 4);
    const bool full = C % (cb * W) == 0;
    auto go = [&](auto cb_tag) {
        if (full) {
            f(cb_tag, std::true_type{});
        } else {
            f(cb_tag, std::false_type{});
        }
    };
    switch (cb) {
        case 1:
            go(std::integral_constant<int, 1>{});
            break;
        case 2:
            go(std::integral_constant<int, 2>{});
            break;
        case 3:
            go(std::integral_constant<int, 3>{});
            break;
        default:
            go(std::integral_constant<int, 4>{});
            break;
    }
}

}  // namespace siamese::kernels::detail
