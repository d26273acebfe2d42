// SPDX-License-Identifier: MIT
#pragma once

// The fused conv -> ReLU -> 2x2 max-pool kernels' shapes and memory: the activation order, the
// pooled sizes, the register tile for each scalar type, and where the table and the workspace
// hold what (conv_relu_pool.hpp runs the kernels).

#include <siamese/kernels/conv_geometry.hpp>
#include <siamese/kernels/simd.hpp>

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
    /// Whether the weight and input gradients run vectorised over input channels (the "sparse"
    /// path): with at least half a vector of them; below, over output channels (dense).
    [[nodiscard]] bool sparse_path() const noexcept { return 2 * g.channels >= simd::Vec<T>::width; }

    // Shared: weights packed for forward [OCP/OB][K][OB] + bias [OCP]; then the weights reordered for backward:
    // [OC][KH*KW][C] on the sparse path, [K][OCP] on the dense one (room for the larger).
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
    /// One thread's backward slices of its part of the workspace, in the order above.
    struct BackwardPart {
        T* masked_dy;  ///< gT: dy as [PHW][OCP], zero where ReLU cut the gradient
        T* dx;         ///< the image's dx, NHWC with padding
        T* dw;         ///< this thread's partial dw
        T* db;         ///< this thread's partial db
    };
    [[nodiscard]] BackwardPart backward_part(T* part) const noexcept {
        T* dx = part + grad_size();
        T* dw = dx + dx_size();
        return {part, dx, dw, dw + dw_size()};
    }
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

}  // namespace siamese::kernels
