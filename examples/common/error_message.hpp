// SPDX-License-Identifier: MIT
#pragma once

// For the examples' tests, which compare whole messages: what a call throws, as text, or a
// fixed word when it throws nothing, so that "accepted" and "refused with this message" are
// asserted by one comparison.

#include <string>

namespace examples {

/// The message of the E that fn() throws, or `none` when fn() returns. Any other exception
/// passes through and fails the test case that called it.
template <class E, class F>
[[nodiscard]] std::string error_message(F&& fn, const std::string& none = "(no error)") {
    try {
        fn();
    } catch (const E& e) {
        return e.what();
    }
    return none;
}

}  // namespace examples
