// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace siamese::io {

/// 64-bit FNV-1a hash of a byte string: a cheap checksum that catches corrupted checkpoints
/// (flipped bits, zeroed or reordered blocks). Not a defence against deliberate tampering.
[[nodiscard]] constexpr std::uint64_t fnv1a64(std::string_view bytes) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

}  // namespace siamese::io
