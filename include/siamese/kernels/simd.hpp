// SPDX-License-Identifier: MIT
#pragma once

// A small vector type for the hand-written kernels, chosen at compile time from the target:
// AVX-512 (16 floats / 8 doubles), AVX2 + FMA (8 / 4) or a portable one-lane fallback.
// The kernels are written once against this interface, so every ISA runs the same code and
// the double-precision gradient checks exercise the same partial-vector logic as float.
//
// Like Eigen, the choice follows the flags of each translation unit: build every unit of one
// program with the same -march, or the units disagree on these inline functions. A program whose
// units disagree stops at start-up with a message saying so (detail::register_unit_isa).

#include <siamese/config.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
// GCC 12 reports its own intrinsics' deliberately undefined pass-through operands as
// uninitialised once inlined (GCC bug 105593); the state at their definitions decides. When
// Eigen included <immintrin.h> first that state is Eigen's, so the kernels also call the
// zero-masked forms (all lanes on: the same instruction) of intrinsics that have one.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

namespace siamese::kernels::simd {

namespace {  // this translation unit's own: units built for different targets differ here
#if defined(__AVX512F__)
constexpr const char* isa_name = "avx512";
#elif defined(__AVX2__) && defined(__FMA__)
constexpr const char* isa_name = "avx2";
#else
constexpr const char* isa_name = "portable";
#endif
}  // namespace

#if defined(__AVX512F__)
/// Vector registers of the target: tile sizes are chosen to fill most of them.
inline constexpr int register_count = 32;
#else
inline constexpr int register_count = 16;
#endif

namespace detail {

/// Called once per translation unit at start-up: the first unit's instruction set becomes the
/// program's, and a unit built for another one ends the program with a message. The linker keeps
/// one copy of each inline kernel function, from whichever unit, so units built with different
/// -march would pair one target's workspace sizes with another's kernels and corrupt memory.
inline bool register_unit_isa(const char* isa) noexcept {
    static const char* const program_isa = isa;
    if (std::strcmp(program_isa, isa) != 0) {
        std::fprintf(stderr,
                     "siamese: this program's translation units were built for different instruction sets "
                     "(%s and %s); build every unit that includes siamese with the same -march\n",
                     program_isa, isa);
        std::abort();
    }
    return true;
}

}  // namespace detail

namespace {
[[maybe_unused]] const bool unit_isa_registered = detail::register_unit_isa(isa_name);
}  // namespace

/// One lane: the portable fallback, and the reference semantics of every specialisation.
/// load_n/store_n touch only the first n lanes (n may exceed the width); mask lanes are bools.
template <class T>
struct Vec {
    static constexpr int width = 1;
    using Mask = bool;
    T v;

    static Vec zero() noexcept { return {T(0)}; }
    static Vec broadcast(T x) noexcept { return {x}; }
    static Vec load(const T* p) noexcept { return {*p}; }
    static Vec load_n(const T* p, index_t n) noexcept { return {n > 0 ? *p : T(0)}; }
    void store(T* p) const noexcept { *p = v; }
    void store_n(T* p, index_t n) const noexcept {
        if (n > 0) *p = v;
    }
    /// Lanes of small non-negative integers (argmax codes) to and from bytes.
    static Vec load_bytes(const std::uint8_t* p, index_t n) noexcept { return {n > 0 ? T(*p) : T(0)}; }
    void store_bytes(std::uint8_t* p, index_t n) const noexcept {
        if (n > 0) *p = static_cast<std::uint8_t>(v);
    }
    [[nodiscard]] T sum() const noexcept { return v; }

    friend Vec fmadd(Vec a, Vec b, Vec c) noexcept { return {a.v * b.v + c.v}; }
    friend Vec operator+(Vec a, Vec b) noexcept { return {a.v + b.v}; }
    friend Vec operator*(Vec a, Vec b) noexcept { return {a.v * b.v}; }
    friend Mask greater(Vec a, Vec b) noexcept { return a.v > b.v; }
    friend Mask equal(Vec a, Vec b) noexcept { return a.v == b.v; }
    /// m ? a : b, lane by lane.
    friend Vec select(Mask m, Vec a, Vec b) noexcept { return m ? a : b; }
};

#if defined(__AVX512F__)

namespace detail {
/// Mask of the first n of 16 (or 8) lanes.
[[nodiscard]] inline __mmask16 first_lanes16(index_t n) noexcept {
    return n >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << (n > 0 ? n : 0)) - 1u);
}
[[nodiscard]] inline __mmask8 first_lanes8(index_t n) noexcept {
    return n >= 8 ? __mmask8(0xFF) : static_cast<__mmask8>((1u << (n > 0 ? n : 0)) - 1u);
}
}  // namespace detail

template <>
struct Vec<float> {
    static constexpr int width = 16;
    using Mask = __mmask16;
    __m512 v;

    static Vec zero() noexcept { return {_mm512_setzero_ps()}; }
    static Vec broadcast(float x) noexcept { return {_mm512_set1_ps(x)}; }
    static Vec load(const float* p) noexcept { return {_mm512_loadu_ps(p)}; }
    static Vec load_n(const float* p, index_t n) noexcept {
        return {_mm512_maskz_loadu_ps(detail::first_lanes16(n), p)};
    }
    void store(float* p) const noexcept { _mm512_storeu_ps(p, v); }
    void store_n(float* p, index_t n) const noexcept { _mm512_mask_storeu_ps(p, detail::first_lanes16(n), v); }
    static Vec load_bytes(const std::uint8_t* p, index_t n) noexcept {
        // Whole vectors with one SSE2 load; a partial one through a zeroed copy (no AVX512BW needed).
        alignas(16) std::uint8_t tail[16] = {};
        if (n < 16) {
            for (index_t i = 0; i < n; ++i) tail[i] = p[i];
            p = tail;
        }
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        return {_mm512_maskz_cvtepi32_ps(0xFFFF, _mm512_maskz_cvtepu8_epi32(0xFFFF, b))};
    }
    void store_bytes(std::uint8_t* p, index_t n) const noexcept {
        const __m128i b = _mm512_maskz_cvtepi32_epi8(0xFFFF, _mm512_maskz_cvttps_epi32(0xFFFF, v));
        if (n >= 16) {
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p), b);
            return;
        }
        alignas(16) std::uint8_t tail[16];
        _mm_store_si128(reinterpret_cast<__m128i*>(tail), b);
        for (index_t i = 0; i < n; ++i) p[i] = tail[i];
    }
    [[nodiscard]] float sum() const noexcept { return _mm512_reduce_add_ps(v); }

    friend Vec fmadd(Vec a, Vec b, Vec c) noexcept { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
    friend Vec operator+(Vec a, Vec b) noexcept { return {_mm512_add_ps(a.v, b.v)}; }
    friend Vec operator*(Vec a, Vec b) noexcept { return {_mm512_mul_ps(a.v, b.v)}; }
    friend Mask greater(Vec a, Vec b) noexcept { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_GT_OQ); }
    friend Mask equal(Vec a, Vec b) noexcept { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_EQ_OQ); }
    friend Vec select(Mask m, Vec a, Vec b) noexcept { return {_mm512_mask_blend_ps(m, b.v, a.v)}; }
};

template <>
struct Vec<double> {
    static constexpr int width = 8;
    using Mask = __mmask8;
    __m512d v;

    static Vec zero() noexcept { return {_mm512_setzero_pd()}; }
    static Vec broadcast(double x) noexcept { return {_mm512_set1_pd(x)}; }
    static Vec load(const double* p) noexcept { return {_mm512_loadu_pd(p)}; }
    static Vec load_n(const double* p, index_t n) noexcept {
        return {_mm512_maskz_loadu_pd(detail::first_lanes8(n), p)};
    }
    void store(double* p) const noexcept { _mm512_storeu_pd(p, v); }
    void store_n(double* p, index_t n) const noexcept { _mm512_mask_storeu_pd(p, detail::first_lanes8(n), v); }
    static Vec load_bytes(const std::uint8_t* p, index_t n) noexcept {
        alignas(8) std::uint8_t b[8] = {};
        for (index_t i = 0; i < n && i < 8; ++i) b[i] = p[i];
        return {
            _mm512_maskz_cvtepi32_pd(0xFF, _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b))))};
    }
    void store_bytes(std::uint8_t* p, index_t n) const noexcept {
        alignas(32) std::int32_t w[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(w), _mm512_maskz_cvttpd_epi32(0xFF, v));
        for (index_t i = 0; i < n && i < 8; ++i) p[i] = static_cast<std::uint8_t>(w[i]);
    }
    [[nodiscard]] double sum() const noexcept { return _mm512_reduce_add_pd(v); }

    friend Vec fmadd(Vec a, Vec b, Vec c) noexcept { return {_mm512_fmadd_pd(a.v, b.v, c.v)}; }
    friend Vec operator+(Vec a, Vec b) noexcept { return {_mm512_add_pd(a.v, b.v)}; }
    friend Vec operator*(Vec a, Vec b) noexcept { return {_mm512_mul_pd(a.v, b.v)}; }
    friend Mask greater(Vec a, Vec b) noexcept { return _mm512_cmp_pd_mask(a.v, b.v, _CMP_GT_OQ); }
    friend Mask equal(Vec a, Vec b) noexcept { return _mm512_cmp_pd_mask(a.v, b.v, _CMP_EQ_OQ); }
    friend Vec select(Mask m, Vec a, Vec b) noexcept { return {_mm512_mask_blend_pd(m, b.v, a.v)}; }
};

#elif defined(__AVX2__) && defined(__FMA__)

namespace detail {
/// Lane mask (all ones in the first n 32-bit or 64-bit lanes) for maskload/maskstore.
[[nodiscard]] inline __m256i first_lanes32(index_t n) noexcept {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n > 8 ? 8 : n)), lane);
}
[[nodiscard]] inline __m256i first_lanes64(index_t n) noexcept {
    const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n > 4 ? 4 : n), lane);
}
}  // namespace detail

template <>
struct Vec<float> {
    static constexpr int width = 8;
    using Mask = __m256;
    __m256 v;

    static Vec zero() noexcept { return {_mm256_setzero_ps()}; }
    static Vec broadcast(float x) noexcept { return {_mm256_set1_ps(x)}; }
    static Vec load(const float* p) noexcept { return {_mm256_loadu_ps(p)}; }
    static Vec load_n(const float* p, index_t n) noexcept { return {_mm256_maskload_ps(p, detail::first_lanes32(n))}; }
    void store(float* p) const noexcept { _mm256_storeu_ps(p, v); }
    void store_n(float* p, index_t n) const noexcept { _mm256_maskstore_ps(p, detail::first_lanes32(n), v); }
    static Vec load_bytes(const std::uint8_t* p, index_t n) noexcept {
        alignas(8) std::uint8_t b[8] = {};
        for (index_t i = 0; i < n && i < 8; ++i) b[i] = p[i];
        return {_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b))))};
    }
    void store_bytes(std::uint8_t* p, index_t n) const noexcept {
        alignas(32) std::int32_t w[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(w), _mm256_cvttps_epi32(v));
        for (index_t i = 0; i < n && i < 8; ++i) p[i] = static_cast<std::uint8_t>(w[i]);
    }
    [[nodiscard]] float sum() const noexcept {
        const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
        return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
    }

    friend Vec fmadd(Vec a, Vec b, Vec c) noexcept { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
    friend Vec operator+(Vec a, Vec b) noexcept { return {_mm256_add_ps(a.v, b.v)}; }
    friend Vec operator*(Vec a, Vec b) noexcept { return {_mm256_mul_ps(a.v, b.v)}; }
    friend Mask greater(Vec a, Vec b) noexcept { return _mm256_cmp_ps(a.v, b.v, _CMP_GT_OQ); }
    friend Mask equal(Vec a, Vec b) noexcept { return _mm256_cmp_ps(a.v, b.v, _CMP_EQ_OQ); }
    friend Vec select(Mask m, Vec a, Vec b) noexcept { return {_mm256_blendv_ps(b.v, a.v, m)}; }
};

template <>
struct Vec<double> {
    static constexpr int width = 4;
    using Mask = __m256d;
    __m256d v;

    static Vec zero() noexcept { return {_mm256_setzero_pd()}; }
    static Vec broadcast(double x) noexcept { return {_mm256_set1_pd(x)}; }
    static Vec load(const double* p) noexcept { return {_mm256_loadu_pd(p)}; }
    static Vec load_n(const double* p, index_t n) noexcept { return {_mm256_maskload_pd(p, detail::first_lanes64(n))}; }
    void store(double* p) const noexcept { _mm256_storeu_pd(p, v); }
    void store_n(double* p, index_t n) const noexcept { _mm256_maskstore_pd(p, detail::first_lanes64(n), v); }
    static Vec load_bytes(const std::uint8_t* p, index_t n) noexcept {
        alignas(32) double d[4] = {};
        for (index_t i = 0; i < n && i < 4; ++i) d[i] = p[i];
        return {_mm256_load_pd(d)};
    }
    void store_bytes(std::uint8_t* p, index_t n) const noexcept {
        alignas(32) double d[4];
        _mm256_store_pd(d, v);
        for (index_t i = 0; i < n && i < 4; ++i) p[i] = static_cast<std::uint8_t>(d[i]);
    }
    [[nodiscard]] double sum() const noexcept {
        const __m128d s2 = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
        return _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
    }

    friend Vec fmadd(Vec a, Vec b, Vec c) noexcept { return {_mm256_fmadd_pd(a.v, b.v, c.v)}; }
    friend Vec operator+(Vec a, Vec b) noexcept { return {_mm256_add_pd(a.v, b.v)}; }
    friend Vec operator*(Vec a, Vec b) noexcept { return {_mm256_mul_pd(a.v, b.v)}; }
    friend Mask greater(Vec a, Vec b) noexcept { return _mm256_cmp_pd(a.v, b.v, _CMP_GT_OQ); }
    friend Mask equal(Vec a, Vec b) noexcept { return _mm256_cmp_pd(a.v, b.v, _CMP_EQ_OQ); }
    friend Vec select(Mask m, Vec a, Vec b) noexcept { return {_mm256_blendv_pd(b.v, a.v, m)}; }
};

#endif

/// n rounded up to a multiple of m.
[[nodiscard]] constexpr index_t round_up(index_t n, index_t m) noexcept { return (n + m - 1) / m * m; }

/// Elements of T per 64-byte cache line: per-thread regions of a workspace start on a line
/// of their own, so no two threads write the same line (no false sharing).
template <class T>
inline constexpr index_t line_elements = static_cast<index_t>(64 / sizeof(T));

}  // namespace siamese::kernels::simd
