// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/detail/format_number.hpp>
#include <siamese/errors.hpp>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <iterator>
#include <ranges>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace siamese::eval {

/// A sized range of numbers: what the verification metrics take for scores and for labels
/// (std::vector<double> from pair_scores, std::span<const float>, std::array, ...).
template <class R>
concept NumberRange = std::ranges::sized_range<R> && std::ranges::input_range<R> &&
    std::is_arithmetic_v<std::remove_cvref_t<std::ranges::range_value_t<R>>>;

/// Scored pairs, validated and sorted by descending score: the common input of the ROC,
/// the AUC, the EER and threshold calibration. Scores are "higher = more likely the same class"
/// (a Siamese probability or logit, or a negated distance); labels are 1 = same, 0 = different.
struct SortedPairScores {
    std::vector<double> scores;  ///< descending
    std::vector<bool> same;      ///< label of each score, in the same order
    index_t positives = 0;       ///< pairs labelled 1
    index_t negatives = 0;       ///< pairs labelled 0

    /// Number of pairs.
    [[nodiscard]] index_t size() const noexcept { return static_cast<index_t>(scores.size()); }
};

/// Validates and sorts scored pairs. Throws shape_error when the two ranges differ in length,
/// std::invalid_argument when a score is not finite or a label is neither 0 nor 1; `who` names
/// the caller in the messages.
template <NumberRange Scores, NumberRange Labels>
[[nodiscard]] SortedPairScores sort_pair_scores(const Scores& scores, const Labels& labels, const char* who) {
    const auto n = std::ranges::size(scores);
    if (n != std::ranges::size(labels)) {
        throw shape_error(std::string(who) + ": scores [" + std::to_string(n) + "] and labels [" +
                          std::to_string(std::ranges::size(labels)) + "] must have the same length");
    }
    struct Pair {
        double score;
        bool same;
    };
    std::vector<Pair> pairs;
    pairs.reserve(n);
    auto label = std::ranges::begin(labels);
    std::size_t i = 0;
    for (const auto& s : scores) {
        const double score = static_cast<double>(s);
        const double l = static_cast<double>(*label);
        if (!std::isfinite(score)) {
            throw std::invalid_argument(std::string(who) + ": score " + std::to_string(i) + " is not finite (" +
                                        siamese::detail::format_number(score) + ")");
        }
        if (l != 0.0 && l != 1.0) {
            throw std::invalid_argument(std::string(who) + ": label " + std::to_string(i) + " is " +
                                        siamese::detail::format_number(l) +
                                        "; labels must be 1 (same) or 0 (different)");
        }
        pairs.push_back({score, l == 1.0});
        ++label;
        ++i;
    }
    // Stable, so equal scores keep the caller's order and the result is reproducible.
    std::ranges::stable_sort(pairs, [](const Pair& a, const Pair& b) { return a.score > b.score; });
    SortedPairScores out;
    out.scores.reserve(n);
    out.same.reserve(n);
    for (const auto& p : pairs) {
        out.scores.push_back(p.score);
        out.same.push_back(p.same);
        (p.same ? out.positives : out.negatives) += 1;
    }
    return out;
}

namespace detail {

/// Calls f(score, positives, negatives) once per distinct score, in descending order, with the
/// number of pairs of each label that share that score.
template <class F>
void for_each_tie_group(const SortedPairScores& s, F&& f) {
    std::size_t i = 0;
    while (i < s.scores.size()) {
        index_t p = 0, n = 0;
        const double score = s.scores[i];
        for (; i < s.scores.size() && s.scores[i] == score; ++i) (s.same[i] ? p : n) += 1;
        f(score, p, n);
    }
}

}  // namespace detail

}  // namespace siamese::eval
