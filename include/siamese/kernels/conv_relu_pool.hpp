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
// that skips 21 of 121. Measured on the machine of docs/performance.md (1 thread, conv2 shape, 200 images): 3.2 ms,
// 223 GFLOP/s on the pixels computed, against ~237 for the bare register tile from L1.
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

#include <siamese/kernels/conv_geometry.hpp>
#include <siamese/kernels/simd.hpp>
#include <siamese/kernels/transpose.hpp>
#include <siamese/parallel.hpp>

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace siamese::kernels {

/// Code of a pooled output whose maximum was <= 0: ReLU passes no gradient.
inline constexpr std::uint8_t relu_cut = 255;

/// Memory order of the fused kernels' activations. NCHW is the library's; channels-last (NHWC)
/// lets two fused layers hand over without transposing: the kernels work in channels-last
/// internally, so a channels-last output is written straight from the registers and a
/// channels-last input is its own backward cache (no copy).
struct ConvPoolFormat {
    bool input_channels_last = false;   ///< x and dx are [N, H, W, C] (padding must be 0)
    bool output_channels_last = false;  ///< y and dy are [N, PH, PW, OC]
};

/// Pooled sizes: the 2x2 / stride 2 max-pool of a conv output drops a last odd row or column.
[[nodiscard]] constexpr index_t pooled_height(const Conv2dGeometry& g) noexcept { return g.out_height() / 2; }
[[nodiscard]] constexpr index_t pooled_width(const Conv2dGeometry& g) noexcept { return g.out_width() / 2; }
[[nodiscard]] constexpr index_t pooled_plane(const Conv2dGeometry& g) noexcept {
    return pooled_height(g) * pooled_width(g);
}

/// Register tiles of the fused kernels for T on this target.
template <class T>
struct ConvPoolTile {
    using V = simd::Vec<T>;
    /// Forward: WT windows (4*WT pixels) x NV vectors of output channels.
    static constexpr int wt = V::width == 1 ? 1 : (simd::register_count >= 32 ? 3 : 1);
    static constexpr int nv = V::width == 1 ? 4 : 2;
    static constexpr index_t oc_block = nv * V::width;
    /// Sparse backward: up to KV vectors of one weight row (C*KH*KW) held in registers.
    static constexpr int kv = V::width == 1 ? 8 : (simd::register_count >= 32 ? 18 : 8);
    /// Dense weight gradient: KB values of k by NV vectors of output channels.
    static constexpr int kb = V::width == 1 ? 4 : (simd::register_count >= 32 ? 9 : 4);
};

namespace detail {

/// Where everything of the fused kernels lives, for one geometry.
///   table (index_t): koff [K] | pixel [4 * PHW] | tapoff [KH * KW]
///   workspace (T):   shared part, then one part per thread (line-aligned, no false sharing)
template <class T>
struct ConvPoolLayout {
    Conv2dGeometry g;

    [[nodiscard]] index_t hp() const noexcept { return g.height + 2 * g.padding; }
    [[nodiscard]] index_t wp() const noexcept { return g.width + 2 * g.padding; }
    [[nodiscard]] index_t taps() const noexcept { return g.kernel_h * g.kernel_w; }
    [[nodiscard]] index_t k() const noexcept { return g.patch_size(); }
    [[nodiscard]] index_t phw() const noexcept { return pooled_plane(g); }
    [[nodiscard]] index_t ocp() const noexcept { return simd::round_up(g.out_channels, ConvPoolTile<T>::oc_block); }
    /// One image of the input cache: zero-padded NHWC, [Hp, Wp, C].
    [[nodiscard]] index_t cache_sample() const noexcept { return hp() * wp() * g.channels; }
    /// Images whose windows share forward tiles: the count (1..4) that fills the last tile best.
    [[nodiscard]] index_t images_per_chunk() const noexcept {
        constexpr index_t wt = ConvPoolTile<T>::wt;
        index_t best = 1, best_waste = wt;
        for (index_t images = 1; images <= 4; ++images) {
            const index_t waste = (wt - images * phw() % wt) % wt;
            if (waste * best < best_waste * images) {  // least waste per image
                best = images;
                best_waste = waste;
            }
        }
        return best;
    }
    /// Input channels at or above which gradients run vectorised over them ("sparse" path).
    [[nodiscard]] bool sparse_weights() const noexcept { return 2 * g.channels >= simd::Vec<T>::width; }

    // Shared: weights packed for forward [OCP/OB][K][OB] + bias [OCP]; reordered for backward [OC][KH*KW][C].
    [[nodiscard]] index_t packed_size() const noexcept { return ocp() * k() + ocp(); }
    [[nodiscard]] index_t shared() const noexcept {
        return simd::round_up(packed_size() + std::max(g.out_channels * k(), k() * ocp()), simd::line_elements<T>);
    }
    // Per thread, forward: the pooled outputs of a chunk, [images][PHW][OCP].
    [[nodiscard]] index_t forward_thread() const noexcept { return images_per_chunk() * phw() * ocp(); }
    // Per thread, backward: gT [PHW][OCP] | dx in NHWC [Hp*Wp*C] | partial dw [max(OC*K, K*OCP)] | partial db [OCP]
    [[nodiscard]] index_t grad_size() const noexcept { return simd::round_up(phw() * ocp(), simd::line_elements<T>); }
    [[nodiscard]] index_t dx_size() const noexcept { return simd::round_up(cache_sample(), simd::line_elements<T>); }
    [[nodiscard]] index_t dw_size() const noexcept {
        return simd::round_up(std::max(g.out_channels * k(), k() * ocp()), simd::line_elements<T>);
    }
    [[nodiscard]] index_t backward_thread() const noexcept { return grad_size() + dx_size() + dw_size() + ocp(); }
    [[nodiscard]] index_t thread_size() const noexcept {
        return simd::round_up(std::max(forward_thread(), backward_thread()), simd::line_elements<T>);
    }

    /// Fills the offset tables (all relative to an image of the cache).
    void fill_tables(index_t* table) const noexcept {
        const index_t C = g.channels, Wp = wp(), PW = pooled_width(g), s = g.stride;
        index_t* koff = table;
        index_t* pixel = koff + k();
        index_t* tapoff = pixel + 4 * phw();
        for (index_t c = 0; c < C; ++c)
            for (index_t kh = 0; kh < g.kernel_h; ++kh)
                for (index_t kw = 0; kw < g.kernel_w; ++kw) {
                    koff[(c * g.kernel_h + kh) * g.kernel_w + kw] = (kh * Wp + kw) * C + c;
                }
        for (index_t win = 0; win < phw(); ++win)
            for (index_t q = 0; q < 4; ++q) {
                pixel[4 * win + q] = ((2 * (win / PW) + q / 2) * s * Wp + (2 * (win % PW) + q % 2) * s) * C;
            }
        for (index_t t = 0; t < taps(); ++t) tapoff[t] = ((t / g.kernel_w) * Wp + t % g.kernel_w) * C;
    }
};

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

}  // namespace detail

/// Elements of T of workspace the fused kernels need with `threads` threads.
template <class T>
[[nodiscard]] index_t conv_relu_pool_workspace_size(const Conv2dGeometry& g, int threads) noexcept {
    const detail::ConvPoolLayout<T> L{g};
    return L.shared() + static_cast<index_t>(std::max(threads, 1)) * L.thread_size();
}
/// Elements of index_t of the offset table the fused kernels need.
[[nodiscard]] inline index_t conv_relu_pool_table_size(const Conv2dGeometry& g) noexcept {
    return g.patch_size() + 4 * pooled_plane(g) + g.kernel_h * g.kernel_w;
}
/// Elements of T of the input cache per image: x zero-padded, in NHWC order.
[[nodiscard]] constexpr index_t conv_relu_pool_cache_size(const Conv2dGeometry& g) noexcept {
    return (g.height + 2 * g.padding) * (g.width + 2 * g.padding) * g.channels;
}

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
    const bool sparse_w = L.sparse_weights();
    L.fill_tables(table);
    const index_t* koff = table;
    const index_t* pixel = koff + K;
    const index_t* tapoff = pixel + 4 * PHW;

    // Shared: the weights for the input gradient, as [OC][tap][C] (sparse) or [K][OCP] (dense).
    const bool sparse_x = L.sparse_weights();
    T* wt = workspace + L.packed_size();
    if (dx && sparse_x) {
        for (index_t oc = 0; oc < OC; ++oc) transpose(C, TAPS, w + oc * K, TAPS, wt + oc * K, C);
    } else if (dx) {
        transpose(OC, K, w, K, wt, OCP);
        for (index_t k = 0; k < K; ++k) std::fill(wt + k * OCP + OC, wt + (k + 1) * OCP, T(0));
    }
    T* per_thread = workspace + L.shared();
    const int threads = num_threads();
    auto part = [&](int t) { return per_thread + t * L.thread_size(); };
    // Zero every partial up front, so the sum below is right whatever team size OpenMP grants.
    for (int t = 0; t < threads; ++t) {
        T* gT = part(t);
        std::fill_n(gT, L.grad_size(), T(0));  // lanes past OC stay zero for good
        std::fill_n(gT + L.grad_size() + L.dx_size(), L.dw_size() + OCP, T(0));
    }

    parallel_ranges(N, [&](int t, index_t n_begin, index_t n_end) {
        T* gT = part(t);
        T* dxc = gT + L.grad_size();
        T* dw_part = dxc + L.dx_size();
        T* db_part = dw_part + L.dw_size();
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
                    const V g = select(equal(V::load_bytes(cd + win * OC + oc, lanes), cut), V::zero(),
                                       V::load_n(src + oc, lanes));
                    g.store_n(row + oc, lanes);
                    (V::load_n(db_part + oc, lanes) + g).store_n(db_part + oc, lanes);
                }
            }
            if (dw && sparse_w) {
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
                if (sparse_x) {
                    detail::dispatch_channel_block<T>(C, [&](auto cb, auto full) {
                        detail::sparse_data_image<T, decltype(cb)::value, decltype(full)::value>(L, gT, cd, wt, pixel,
                                                                                                 tapoff, dxc);
                    });
                } else {
                    detail::dense_data_image(L, gT, cd, wt, koff, pixel, dxc);
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
            const T* dw_part = part(t) + L.grad_size() + L.dx_size();
            const T* db_part = dw_part + L.dw_size();
            for (index_t oc = oc0; oc < oc1; ++oc) {
                db[oc] += db_part[oc];
                for (index_t c = 0; c < C; ++c)
                    for (index_t tap = 0; tap < TAPS; ++tap) {
                        dw[(oc * C + c) * TAPS + tap] +=
                            sparse_w ? dw_part[(oc * TAPS + tap) * C + c] : dw_part[((c * TAPS) + tap) * OCP + oc];
                    }
            }
        }
    });
}

}  // namespace siamese::kernels
