// SPDX-License-Identifier: MIT
#pragma once

#include <charconv>
#include <string>

namespace siamese::detail {

/// A number for an error message, in its shortest exact form (1e-300, 0.1, 1e+200, inf, nan):
/// unlike std::to_string's fixed six decimals, it never shows a tiny or a slightly-off value as
/// 0.000000, nor a huge one as 201 digits. A float is written as a float (1.1754944e-38, not its
/// double expansion).
template <class V = double>
[[nodiscard]] std::string format_number(V value) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

}  // namespace siamese::detail
