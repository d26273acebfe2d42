// SPDX-License-Identifier: MIT
#pragma once

// Text fields of a run checkpoint that must come back exactly: numbers with all their digits and
// the state of a random generator, so that a resumed run continues bit for bit.

#include <siamese/errors.hpp>

#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace examples {

/// A double with enough digits to read back the same value.
inline std::string exact_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

/// A generator's four state words as hexadecimal, space-separated.
inline std::string hex_state(const std::array<std::uint64_t, 4>& state) {
    std::string s;
    for (auto v : state) {
        char buf[24];
        std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
        s += s.empty() ? buf : std::string(" ") + buf;
    }
    return s;
}

/// The inverse of hex_state; a malformed field is an io_error naming it.
inline std::array<std::uint64_t, 4> parse_state(const std::string& text) {
    std::array<std::uint64_t, 4> state{};
    const char* p = text.c_str();
    for (auto& v : state) {
        char* end = nullptr;
        v = std::strtoull(p, &end, 16);
        if (end == p) throw siamese::io_error("checkpoint: malformed random-generator state '" + text + "'");
        p = end;
    }
    return state;
}

}  // namespace examples
