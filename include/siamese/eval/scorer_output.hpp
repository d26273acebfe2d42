// SPDX-License-Identifier: MIT
#pragma once

// The check every scorer makes on its output span: one slot per candidate. A scorer writes
// out[k] for each candidate k, so a shorter span would be written past its end.

#include <siamese/errors.hpp>

#include <cstddef>
#include <string>

namespace siamese::eval::detail {

/// Throws shape_error unless `out_size` == `candidates` (the scorer `who` is named).
inline void require_score_per_candidate(std::size_t candidates, std::size_t out_size, const char* who) {
    if (out_size != candidates) {
        throw shape_error(std::string(who) + ": out has " + std::to_string(out_size) + " slots for " +
                          std::to_string(candidates) + " candidates (one score per candidate)");
    }
}

}  // namespace siamese::eval::detail
