// SPDX-License-Identifier: MIT
#pragma once

// Max-pooling, parallel over (sample, channel) planes: each thread writes whole planes.

#include <siamese/kernels/conv_geometry.hpp>
#include <siamese/parallel.hpp>

#include <algorithm>
#include <cstdint>

namespace siamese::kernels {

/// x: [N, C, H, W]  ->  y: [N, C, OH, OW], argmax: [N, C, OH, OW] (offset of the max inside
/// its H*W input plane; the first maximum wins a tie; a NaN counts as the maximum, as in PyTorch).
template <class T>
void max_pool2d_forward(const Pool2dGeometry& g, index_t N, const T* x, T* y, std::int32_t* argmax) {
    const index_t OH = g.out_height(), OW = g.out_width();
    const index_t in_plane = g.height * g.width, out_plane = OH * OW;
    parallel_for(N * g.channels, [&](index_t nc) {
        const T* in = x + nc * in_plane;
        T* out = y + nc * out_plane;
        std::int32_t* arg = argmax + nc * out_plane;
        for (index_t oh = 0; oh < OH; ++oh) {
            for (index_t ow = 0; ow < OW; ++ow) {
                index_t best = oh * g.stride * g.width + ow * g.stride;
                for (index_t kh = 0; kh < g.kernel; ++kh) {
                    for (index_t kw = 0; kw < g.kernel; ++kw) {
                        const index_t at = (oh * g.stride + kh) * g.width + ow * g.stride + kw;
                        if (in[at] > in[best] || (in[at] != in[at] && in[best] == in[best])) best = at;
                    }
                }
                out[oh * OW + ow] = in[best];
                arg[oh * OW + ow] = static_cast<std::int32_t>(best);
            }
        }
    });
}

/// dy: [N, C, OH, OW], argmax  ->  dx: [N, C, H, W] (overwritten; overlapping windows add up)
template <class T>
void max_pool2d_backward(const Pool2dGeometry& g, index_t N, const T* dy, const std::int32_t* argmax, T* dx) {
    const index_t in_plane = g.height * g.width, out_plane = g.out_height() * g.out_width();
    parallel_for(N * g.channels, [&](index_t nc) {
        T* out = dx + nc * in_plane;
        std::fill_n(out, in_plane, T(0));
        const T* in = dy + nc * out_plane;
        const std::int32_t* arg = argmax + nc * out_plane;
        for (index_t i = 0; i < out_plane; ++i) out[arg[i]] += in[i];
    });
}

}  // namespace siamese::kernels
