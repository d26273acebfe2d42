// SPDX-License-Identifier: MIT
#pragma once

// What a scorer is (the interface every evaluation takes: episodes, pair scores, retrieval), and
// the checks every scorer makes before it scores: one output slot per candidate (a scorer
// writes out[k] for each candidate k, so a shorter span would be written past its end), and
// indices it holds an image for. A scorer is built on one image set; episodes drawn from
// another, larger one would ask it for images it does not have, and each scorer says so with
// shape_error naming itself.

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

/// Throws shape_error unless `query` and every candidate are indices of the `images` images the
/// scorer `who` was built on, before any of them is read.
inline void require_images(index_t images, index_t query, std::span<const index_t> candidates, const char* who) {
    auto check = [&](index_t i) {
        if (i < 0 || i >= images) {
            throw shape_error(std::string(who) + ": image index " + std::to_string(i) + " out of range for " +
                              std::to_string(images) + " images (built on another image set?)");
        }
    };
    check(query);
    for (const index_t c : candidates) check(c);
}

}  // namespace detail

}  // namespace siamese::eval
