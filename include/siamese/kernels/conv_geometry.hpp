// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>

namespace siamese::kernels {

/// Sizes of a 2-D convolution of one image: input [C, H, W], weights [OC, C, KH, KW],
/// output [OC, OH, OW], with equal stride and zero padding on both axes.
struct Conv2dGeometry {
    index_t channels = 0, height = 0, width = 0;
    index_t out_channels = 0, kernel_h = 0, kernel_w = 0;
    index_t stride = 1, padding = 0;

    [[nodiscard]] constexpr index_t out_height() const noexcept {
        return (height + 2 * padding - kernel_h) / stride + 1;
    }
    [[nodiscard]] constexpr index_t out_width() const noexcept { return (width + 2 * padding - kernel_w) / stride + 1; }
    /// Rows of the im2col matrix: C * KH * KW.
    [[nodiscard]] constexpr index_t patch_size() const noexcept { return channels * kernel_h * kernel_w; }
    /// Columns of the im2col matrix: OH * OW.
    [[nodiscard]] constexpr index_t out_plane() const noexcept { return out_height() * out_width(); }
    [[nodiscard]] constexpr index_t in_sample() const noexcept { return channels * height * width; }
    [[nodiscard]] constexpr index_t out_sample() const noexcept { return out_channels * out_plane(); }
    [[nodiscard]] constexpr index_t weight_size() const noexcept { return out_channels * patch_size(); }
    /// Multiply-adds of the forward pass of one image.
    [[nodiscard]] constexpr index_t macs() const noexcept { return out_sample() * patch_size(); }
};

/// Sizes of a 2-D max-pool of one image: input [C, H, W], output [C, OH, OW], no padding.
struct Pool2dGeometry {
    index_t channels = 0, height = 0, width = 0;
    index_t kernel = 2, stride = 2;

    [[nodiscard]] constexpr index_t out_height() const noexcept { return (height - kernel) / stride + 1; }
    [[nodiscard]] constexpr index_t out_width() const noexcept { return (width - kernel) / stride + 1; }
    [[nodiscard]] constexpr index_t in_sample() const noexcept { return channels * height * width; }
    [[nodiscard]] constexpr index_t out_sample() const noexcept { return channels * out_height() * out_width(); }
};

}  // namespace siamese::kernels
