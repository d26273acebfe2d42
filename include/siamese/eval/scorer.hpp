// SPDX-License-Identifier: MIT
#pragma once

// What a scorer is (the interface every evaluation takes: episodes, pair scores, retrieval), and
// the check every scorer makes on its output span: one slot per candidate. A scorer writes
// out[k] for each candidate k, so a shorter span would be written past its end.

#include <siamese/config.hpp>
#include <siamese/errors.hpp>

#include <cstddef>
#include <span>
#include <string>

namespace siamese::eval {

/// A scorer: score(query, candidates, out) writes out[k], the similarity (higher = more alike)
/// of image `query` and image `candidates[k]`, indices into the evaluated image set.
template <class S>
concept PairScorer = requires(S& s, index_t q, std::span<const index_t> c, std::span<double> out) {
    s(q, c, out);
};

namespace detail {

/// Throws shape_error unless `out_size` == `candidates` (the scorer `who` is named).
inline void require_score_per_candidate(std::size_t candidates, std::size_t out_size, const char* who) {
    if (out_size != candidates) {
        throw shape_error(std::string(who) + ": out has " + std::to_string(out_size) + " slots for " +
                          std::to_string(candidates) + " candidates (one score per candidate)");
    }
}

}  // namespace detail

}  // namespace siamese::eval
