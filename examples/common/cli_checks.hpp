// SPDX-License-Identifier: MIT
#pragma once

// Readable range checks for the examples' command lines ("must be a positive number, got '0'").

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <string>

namespace examples {

/// A validator accepting numbers for which accept(x) holds, else "must be WHAT, got 'TEXT'".
template <class Accept>
CLI::Validator number_check(Accept accept, const std::string& what, const std::string& description,
                            const std::string& name) {
    return CLI::Validator(
        [accept, what](std::string& v) -> std::string {
            char* end = nullptr;
            const double x = std::strtod(v.c_str(), &end);
            return end != v.c_str() && *end == '\0' && accept(x) ? std::string() : "must be " + what + ", got '" + v + "'";
        },
        description, name);
}

inline const CLI::Validator positive = number_check([](double x) { return x > 0; }, "a positive number", "> 0", "positive");
inline const CLI::Validator non_negative =
    number_check([](double x) { return x >= 0; }, "zero or a positive number", ">= 0", "non-negative");

}  // namespace examples
