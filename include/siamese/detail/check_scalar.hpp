// SPDX-License-Identifier: MIT
#pragma once

// Checks of a setting given as a double but used as the tensor type T (a distance's or a
// loss's eps and margin, an optimizer's eps): a value fine as a double can be inf or 0 as a
// float, and 0 / 0 then poisons the weights.

#include <siamese/detail/format_number.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace siamese::detail {

template <class T>
inline constexpr const char* scalar_type_name = std::is_same_v<T, float> ? "float" : "double";

/// Throws std::invalid_argument unless `value`, a finite double >= 0, is also finite as a T:
/// "ContrastiveLoss: margin 1e+39 is out of range for float (at most 3.4028235e+38)".
template <class T>
void check_fits(std::string_view who, const char* option, double value) {
    if (value > static_cast<double>(std::numeric_limits<T>::max())) {
        throw std::invalid_argument(std::string(who) + ": " + option + " " + format_number(value) +
                                    " is out of range for " + scalar_type_name<T> + " (at most " +
                                    format_number(std::numeric_limits<T>::max()) + ")");
    }
}

/// Throws std::invalid_argument unless `value` is a finite number > 0 that stays a normal number
/// as a T (1e-300 passes as a double but is 0 as a float): for eps, a denominator term.
template <class T>
void check_positive_normal(std::string_view who, const char* option, double value) {
    if (!(value > 0) || !std::isfinite(value)) {
        throw std::invalid_argument(std::string(who) + ": " + option + " must be a finite number > 0, got " +
                                    format_number(value));
    }
    check_fits<T>(who, option, value);
    if (static_cast<T>(value) < std::numeric_limits<T>::min()) {
        throw std::invalid_argument(std::string(who) + ": " + option + " " + format_number(value) +
                                    " is 0 or subnormal as a " + scalar_type_name<T> + "; it must be at least " +
                                    format_number(std::numeric_limits<T>::min()));
    }
}

/// A loss's margin, already checked as a double (finite, >= 0), as the loss uses it: a T. Throws
/// unless it stays finite as a T and, when `positive`, above 0 as a T (as a float, 1e39 is inf
/// and 1e-300 is 0, the margin the contrastive loss refuses).
template <class T>
void check_margin(std::string_view who, double margin, bool positive) {
    check_fits<T>(who, "margin", margin);
    if (positive && !(static_cast<T>(margin) > T(0))) {
        throw std::invalid_argument(std::string(who) + ": margin " + format_number(margin) + " is 0 as a " +
                                    scalar_type_name<T> + "; it must be at least " +
                                    format_number(std::numeric_limits<T>::denorm_min()));
    }
}

}  // namespace siamese::detail
