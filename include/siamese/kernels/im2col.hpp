// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/kernels/conv_geometry.hpp>
#include <siamese/kernels/simd.hpp>

#include <algorithm>

namespace siamese::kernels {

/// Unfolds one image into patch columns.
/// x: [C, H, W]  ->  cols: [C*KH*KW, OH*OW]; taps that fall into the padding read 0.
template <class T>
void im2col(const Conv2dGeometry& g, const T* x, T* cols) noexcept {
    using V = simd::Vec<T>;
    const index_t OH = g.out_height(), OW = g.out_width();
    for (index_t c = 0; c < g.channels; ++c) {
        const T* plane = x + c * g.height * g.width;
        for (index_t kh = 0; kh < g.kernel_h; ++kh) {
            for (index_t kw = 0; kw < g.kernel_w; ++kw) {
                T* row = cols + ((c * g.kernel_h + kh) * g.kernel_w + kw) * OH * OW;
                for (index_t oh = 0; oh < OH; ++oh) {
                    const index_t ih = oh * g.stride - g.padding + kh;
                    T* out = row + oh * OW;
                    if (ih < 0 || ih >= g.height) {
                        std::fill_n(out, OW, T(0));
                        continue;
                    }
                    const T* in = plane + ih * g.width;
                    if (g.stride == 1) {
                        // Contiguous run: only the padded ends need care.
                        const index_t iw0 = kw - g.padding;
                        const index_t lo = std::clamp<index_t>(-iw0, 0, OW);
                        const index_t hi = std::clamp<index_t>(g.width - iw0, lo, OW);
                        std::fill_n(out, lo, T(0));
                        // Runs are short (OW = 11 for conv2): one masked vector copy beats memmove.
                        for (index_t i = lo; i < hi; i += V::width)
                            V::load_n(in + iw0 + i, hi - i).store_n(out + i, hi - i);
                        std::fill(out + hi, out + OW, T(0));
                    } else {
                        for (index_t ow = 0; ow < OW; ++ow) {
                            const index_t iw = ow * g.stride - g.padding + kw;
                            out[ow] = (iw >= 0 && iw < g.width) ? in[iw] : T(0);
                        }
                    }
                }
            }
        }
    }
}

/// Folds patch columns back onto an image, summing overlapping taps (the adjoint of im2col).
/// cols: [C*KH*KW, OH*OW]  ->  x: [C, H, W] (overwritten).
template <class T>
void col2im(const Conv2dGeometry& g, const T* cols, T* x) noexcept {
    const index_t OH = g.out_height(), OW = g.out_width();
    std::fill_n(x, g.in_sample(), T(0));
    for (index_t c = 0; c < g.channels; ++c) {
        T* plane = x + c * g.height * g.width;
        for (index_t kh = 0; kh < g.kernel_h; ++kh) {
            for (index_t kw = 0; kw < g.kernel_w; ++kw) {
                const T* row = cols + ((c * g.kernel_h + kh) * g.kernel_w + kw) * OH * OW;
                for (index_t oh = 0; oh < OH; ++oh) {
                    const index_t ih = oh * g.stride - g.padding + kh;
                    if (ih < 0 || ih >= g.height) continue;
                    T* out = plane + ih * g.width;
                    const T* in = row + oh * OW;
                    for (index_t ow = 0; ow < OW; ++ow) {
                        const index_t iw = ow * g.stride - g.padding + kw;
                        if (iw >= 0 && iw < g.width) out[iw] += in[ow];
                    }
                }
            }
        }
    }
}

}  // namespace siamese::kernels
