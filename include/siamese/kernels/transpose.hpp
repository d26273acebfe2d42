// SPDX-License-Identifier: MIT
#pragma once

// Out-of-place matrix transpose, blocked so that both sides stream through cache lines.
// On AVX-512 a 16 x 16 float block is transposed in registers (4 rounds of shuffles); the
// shuffles run at ~5x the ~3.6 G elements/s of a scalar loop (the machine of docs/performance.md).

#include <siamese/kernels/simd.hpp>

#include <type_traits>

namespace siamese::kernels {

namespace detail {

#if defined(__AVX512F__)
/// 16 x 16 floats: dst[c * ldd + r] = src[r * lds + c] for r, c < 16.
inline void transpose_16x16(const float* src, index_t lds, float* dst, index_t ldd) noexcept {
    // Zero-masked forms with every lane on: the plain instructions, without the undefined
    // pass-through operand GCC 12 warns about (see simd.hpp).
    constexpr __mmask16 all = 0xFFFF;
    __m512 r[16], t[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * lds);
        // Interleave pairs of rows, then pairs of pairs: each 128-bit lane then holds a 4 x 4 block.
#pragma GCC unroll 8
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_maskz_unpacklo_ps(all, r[i], r[i + 1]);
        t[i + 1] = _mm512_maskz_unpackhi_ps(all, r[i], r[i + 1]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_maskz_shuffle_ps(all, t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_maskz_shuffle_ps(all, t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_maskz_shuffle_ps(all, t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_maskz_shuffle_ps(all, t[i + 1], t[i + 3], 0xEE);
    }
    // Now move whole 4 x 4 blocks between registers (128-bit lanes).
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        t[i] = _mm512_maskz_shuffle_f32x4(all, r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_maskz_shuffle_f32x4(all, r[i], r[i + 4], 0xDD);
        t[i + 8] = _mm512_maskz_shuffle_f32x4(all, r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_maskz_shuffle_f32x4(all, r[i + 8], r[i + 12], 0xDD);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        r[i] = _mm512_maskz_shuffle_f32x4(all, t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_maskz_shuffle_f32x4(all, t[i], t[i + 8], 0xDD);
        r[i + 4] = _mm512_maskz_shuffle_f32x4(all, t[i + 4], t[i + 12], 0x88);
        r[i + 12] = _mm512_maskz_shuffle_f32x4(all, t[i + 4], t[i + 12], 0xDD);
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) _mm512_storeu_ps(dst + i * ldd, r[i]);
}
#endif

template <class T>
inline void transpose_scalar(index_t rows, index_t cols, const T* src, index_t lds, T* dst, index_t ldd) noexcept {
    for (index_t r = 0; r < rows; ++r)
        for (index_t c = 0; c < cols; ++c) dst[c * ldd + r] = src[r * lds + c];
}

}  // namespace detail

/// src: [rows, cols] (row stride lds)  ->  dst: [cols, rows] (row stride ldd)
template <class T>
void transpose(index_t rows, index_t cols, const T* src, index_t lds, T* dst, index_t ldd) noexcept {
    constexpr index_t B = 16;  // block side: 16 x 16 floats stay in L1 on both sides
    for (index_t r0 = 0; r0 < rows; r0 += B) {
        const index_t rb = rows - r0 < B ? rows - r0 : B;
        for (index_t c0 = 0; c0 < cols; c0 += B) {
            const index_t cb = cols - c0 < B ? cols - c0 : B;
            const T* s = src + r0 * lds + c0;
            T* d = dst + c0 * ldd + r0;
#if defined(__AVX512F__)
            if constexpr (std::is_same_v<T, float>) {
                if (rb == B && cb == B) {
                    detail::transpose_16x16(s, lds, d, ldd);
                    continue;
                }
            }
#endif
            detail::transpose_scalar(rb, cb, s, lds, d, ldd);
        }
    }
}

}  // namespace siamese::kernels
