// SPDX-License-Identifier: MIT
#pragma once

// Naive direct implementations of the convolution, pooling and linear forward kernels (and the
// fused conv-ReLU-pool, and plain matmul): the oracle for tests and benchmarks.
// Written for obviousness, not speed; same shapes and conventions as the fast kernels (NaN
// included, except in the fused conv_relu_pool, whose oracle is for finite values).

#include <siamese/kernels/conv_geometry.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace siamese::kernels::reference {

/// C[M, N] = A[M, K] * B[K, N] (row-major, dense)
template <class T>
void matmul(index_t M, index_t N, index_t K, const T* A, const T* B, T* C) noexcept {
    for (index_t i = 0; i < M; ++i) {
        for (index_t j = 0; j < N; ++j) {
            T s = 0;
            for (index_t k = 0; k < K; ++k) s += A[i * K + k] * B[k * N + j];
            C[i * N + j] = s;
        }
    }
}

/// Calls f(n, oc, oh, ow, c, kh, kw, x_offset) for every valid tap of the convolution.
template <class F>
void for_each_conv_tap(const Conv2dGeometry& g, index_t N, F&& f) {
    const index_t OH = g.out_height(), OW = g.out_width();
    for (index_t n = 0; n < N; ++n)
        for (index_t oc = 0; oc < g.out_channels; ++oc)
            for (index_t oh = 0; oh < OH; ++oh)
                for (index_t ow = 0; ow < OW; ++ow)
                    for (index_t c = 0; c < g.channels; ++c)
                        for (index_t kh = 0; kh < g.kernel_h; ++kh)
                            for (index_t kw = 0; kw < g.kernel_w; ++kw) {
                                const index_t ih = oh * g.stride - g.padding + kh;
                                const index_t iw = ow * g.stride - g.padding + kw;
                                if (ih < 0 || ih >= g.height || iw < 0 || iw >= g.width) continue;
                                f(n, oc, oh, ow, c, kh, kw, ((n * g.channels + c) * g.height + ih) * g.width + iw);
                            }
}

/// x: [N, C, H, W]  w: [OC, C, KH, KW]  b: [OC]  ->  y: [N, OC, OH, OW]
template <class T>
void conv2d_forward(const Conv2dGeometry& g, index_t N, const T* x, const T* w, const T* b, T* y) {
    const index_t OH = g.out_height(), OW = g.out_width();
    for (index_t n = 0; n < N; ++n)
        for (index_t oc = 0; oc < g.out_channels; ++oc)
            std::fill_n(y + (n * g.out_channels + oc) * OH * OW, OH * OW, b[oc]);
    for_each_conv_tap(
        g, N, [&](index_t n, index_t oc, index_t oh, index_t ow, index_t c, index_t kh, index_t kw, index_t xi) {
            y[((n * g.out_channels + oc) * OH + oh) * OW + ow] +=
                w[((oc * g.channels + c) * g.kernel_h + kh) * g.kernel_w + kw] * x[xi];
        });
}

/// dy: [N, OC, OH, OW]  w  ->  dx: [N, C, H, W] (overwritten)
template <class T>
void conv2d_backward_data(const Conv2dGeometry& g, index_t N, const T* dy, const T* w, T* dx) {
    const index_t OH = g.out_height(), OW = g.out_width();
    std::fill_n(dx, N * g.in_sample(), T(0));
    for_each_conv_tap(
        g, N, [&](index_t n, index_t oc, index_t oh, index_t ow, index_t c, index_t kh, index_t kw, index_t xi) {
            dx[xi] += w[((oc * g.channels + c) * g.kernel_h + kh) * g.kernel_w + kw] *
                      dy[((n * g.out_channels + oc) * OH + oh) * OW + ow];
        });
}

/// x, dy  ->  dw: [OC, C, KH, KW] +=, db: [OC] +=
template <class T>
void conv2d_backward_weights(const Conv2dGeometry& g, index_t N, const T* x, const T* dy, T* dw, T* db) {
    const index_t OH = g.out_height(), OW = g.out_width();
    for_each_conv_tap(
        g, N, [&](index_t n, index_t oc, index_t oh, index_t ow, index_t c, index_t kh, index_t kw, index_t xi) {
            dw[((oc * g.channels + c) * g.kernel_h + kh) * g.kernel_w + kw] +=
                x[xi] * dy[((n * g.out_channels + oc) * OH + oh) * OW + ow];
        });
    for (index_t n = 0; n < N; ++n)
        for (index_t oc = 0; oc < g.out_channels; ++oc)
            for (index_t p = 0; p < OH * OW; ++p) db[oc] += dy[(n * g.out_channels + oc) * OH * OW + p];
}

/// x: [N, C, H, W]  ->  y: [N, C, OH, OW], argmax (offset in the input plane, first max wins;
/// a NaN counts as the maximum)
template <class T>
void max_pool2d_forward(const Pool2dGeometry& g, index_t N, const T* x, T* y, std::int32_t* argmax) {
    const index_t OH = g.out_height(), OW = g.out_width();
    for (index_t nc = 0; nc < N * g.channels; ++nc)
        for (index_t oh = 0; oh < OH; ++oh)
            for (index_t ow = 0; ow < OW; ++ow) {
                index_t best = -1;
                for (index_t kh = 0; kh < g.kernel; ++kh)
                    for (index_t kw = 0; kw < g.kernel; ++kw) {
                        const index_t at = (oh * g.stride + kh) * g.width + ow * g.stride + kw;
                        const T* plane = x + nc * g.height * g.width;
                        const bool nan_first = std::isnan(plane[at]) && (best < 0 || !std::isnan(plane[best]));
                        if (best < 0 || plane[at] > plane[best] || nan_first) best = at;
                    }
                y[(nc * OH + oh) * OW + ow] = x[nc * g.height * g.width + best];
                argmax[(nc * OH + oh) * OW + ow] = static_cast<std::int32_t>(best);
            }
}

/// Conv2d -> ReLU -> 2x2 max-pool (stride 2), composed from the naive kernels above.
/// x: [N, C, H, W]  w  b  ->  y: [N, OC, OH/2, OW/2], code: [N, OH/2*OW/2, OC] (winning pixel of
/// each window, 0..3 row-major, first maximum on ties; 255 where the maximum is <= 0)
template <class T>
void conv_relu_pool_forward(const Conv2dGeometry& g, index_t N, const T* x, const T* w, const T* b, T* y,
                            std::uint8_t* code) {
    const index_t OH = g.out_height(), OW = g.out_width(), PH = OH / 2, PW = OW / 2;
    std::vector<T> conv(static_cast<std::size_t>(N * g.out_sample()));
    conv2d_forward(g, N, x, w, b, conv.data());
    for (index_t n = 0; n < N; ++n)
        for (index_t oc = 0; oc < g.out_channels; ++oc)
            for (index_t ph = 0; ph < PH; ++ph)
                for (index_t pw = 0; pw < PW; ++pw) {
                    const T* plane = conv.data() + (n * g.out_channels + oc) * OH * OW;
                    auto at = [&](int q) { return plane[(2 * ph + q / 2) * OW + 2 * pw + q % 2]; };
                    int best = 0;
                    for (int q = 1; q < 4; ++q)
                        if (at(q) > at(best)) best = q;
                    const T v = at(best);
                    y[((n * g.out_channels + oc) * PH + ph) * PW + pw] = v > T(0) ? v : T(0);
                    code[(n * PH * PW + ph * PW + pw) * g.out_channels + oc] =
                        static_cast<std::uint8_t>(v > T(0) ? best : 255);
                }
}

/// Backward of conv_relu_pool_forward: routes dy to each window's winner (nothing where ReLU
/// cut), then the naive conv backward. dy: [N, OC, PH, PW]  code  x  w
///   ->  dw +=, db +=, dx: [N, C, H, W] (overwritten)
template <class T>
void conv_relu_pool_backward(const Conv2dGeometry& g, index_t N, const T* dy, const std::uint8_t* code, const T* x,
                             const T* w, T* dw, T* db, T* dx) {
    const index_t OH = g.out_height(), OW = g.out_width(), PH = OH / 2, PW = OW / 2;
    std::vector<T> dconv(static_cast<std::size_t>(N * g.out_sample()), T(0));
    for (index_t n = 0; n < N; ++n)
        for (index_t oc = 0; oc < g.out_channels; ++oc)
            for (index_t win = 0; win < PH * PW; ++win) {
                const std::uint8_t q = code[(n * PH * PW + win) * g.out_channels + oc];
                if (q == 255) continue;
                const index_t oh = 2 * (win / PW) + q / 2, ow = 2 * (win % PW) + q % 2;
                dconv[static_cast<std::size_t>(((n * g.out_channels + oc) * OH + oh) * OW + ow)] =
                    dy[(n * g.out_channels + oc) * PH * PW + win];
            }
    conv2d_backward_weights(g, N, x, dconv.data(), dw, db);
    conv2d_backward_data(g, N, dconv.data(), w, dx);
}

/// x: [N, IN]  w: [OUT, IN]  b: [OUT]  ->  y: [N, OUT]
template <class T>
void linear_forward(index_t N, index_t IN, index_t OUT, const T* x, const T* w, const T* b, T* y) noexcept {
    for (index_t n = 0; n < N; ++n)
        for (index_t o = 0; o < OUT; ++o) {
            T s = b[o];
            for (index_t i = 0; i < IN; ++i) s += x[n * IN + i] * w[o * IN + i];
            y[n * OUT + o] = s;
        }
}

}  // namespace siamese::kernels::reference
