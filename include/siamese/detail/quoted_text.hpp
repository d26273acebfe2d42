// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace siamese::detail {

/// Text from a file as quoted in an error message, cut short past `max` bytes. Control and
/// non-ASCII bytes are written as \r or \xNN: a raw carriage return (a line ending \r\r\n) made
/// the terminal overwrite the message, and a UTF-16 file put NUL bytes in it.
inline std::string quoted_text(std::string_view s, std::size_t max) {
    // Appended piece by piece: g++ 12 warns falsely (-Wrestrict) about "'" + std::string(...).
    std::string quoted(1, '\'');
    for (const char c : s.substr(0, max)) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\r') {
            quoted.append("\\r");
        } else if (byte < 0x20 || byte >= 0x7f) {
            constexpr char hex[] = "0123456789abcdef";
            quoted.append("\\x");
            quoted.push_back(hex[byte >> 4]);
            quoted.push_back(hex[byte & 15]);
        } else {
            quoted.push_back(c);
        }
    }
    quoted.append(s.size() > max ? "...'" : "'");
    return quoted;
}

}  // namespace siamese::detail
