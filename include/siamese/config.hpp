// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

// -ffinite-math-only (part of -ffast-math) lets the compiler assume that no value is NaN or
// infinite, and drop the tests for them: every check that stops a diverging run, or refuses a
// NaN setting or score, would then pass silently. Refused unless the user says otherwise.
#if defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__ && !defined(SIAMESE_ALLOW_FINITE_MATH)
#error \
    "siamese: built with -ffinite-math-only (part of -ffast-math), under which NaN and infinity checks may vanish and a diverging run goes unnoticed; add -fno-finite-math-only, or define SIAMESE_ALLOW_FINITE_MATH to accept that"
#endif

namespace siamese {

/// Signed index type used for every dimension and offset (matches Eigen's default).
using index_t = std::ptrdiff_t;

/// Alignment of every tensor buffer in bytes: one cache line, one AVX-512 register.
inline constexpr std::size_t tensor_alignment = 64;

}  // namespace siamese
