// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

namespace siamese {

/// Signed index type used for every dimension and offset (matches Eigen's default).
using index_t = std::ptrdiff_t;

/// Alignment of every tensor buffer in bytes: one cache line, one AVX-512 register.
inline constexpr std::size_t tensor_alignment = 64;

}  // namespace siamese
