// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/data/one_shot_episode.hpp>
#include <siamese/detail/format_number.hpp>
#include <siamese/eval/confidence.hpp>
#include <siamese/eval/episodes.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese::eval {

/// The outcome of scoring given episodes (episode_accuracy).
struct EpisodeAccuracy {
    double accuracy = 0;  ///< mean over episodes of the fraction of its queries classified right
    double ci95 = 0;      ///< half-width of the 95 % interval of that mean (mean_with_ci95)
    double std_dev = 0;   ///< sample standard deviation of the per-episode accuracies (as FewShotResult)
    index_t episodes = 0, queries = 0, correct = 0;
    std::vector<std::vector<index_t>> chosen;  ///< per episode, per query: the position in supports picked
};

/// Scores episodes made elsewhere (within_alphabet_episodes, load_one_shot_runs): each query is
/// classified as the support it scores highest with (`score(query, supports, out)`, higher =
/// more alike; a tie goes to the first support). Throws std::invalid_argument when there are
/// no episodes, and, naming the episode, when one has no supports or no queries, not one
/// answer per query, or an answer that is not a position in its supports, before anything is
/// scored; and when a score is NaN (a NaN never wins a comparison, and would read as chance
/// accuracy). Infinite scores are ordered values, as in few_shot_accuracy: -inf (a
/// log-probability of 0) loses to every number, +inf wins, and equal infinities tie like equal
/// numbers (to the first support).
template <PairScorer Score>
[[nodiscard]] EpisodeAccuracy episode_accuracy(std::span<const data::OneShotEpisode> episodes, Score&& score) {
    // An accuracy of 0 over no episodes would read as a result.
    if (episodes.empty()) throw std::invalid_argument("episode_accuracy: no episodes to score");
    for (std::size_t k = 0; k < episodes.size(); ++k) {
        const auto& e = episodes[k];
        auto fail = [&](const std::string& what) {
            throw std::invalid_argument("episode_accuracy: episode " + std::to_string(k) + " " + what);
        };
        if (e.supports.empty()) fail("has no supports");
        if (e.queries.empty()) fail("has no queries");
        if (e.answers.size() != e.queries.size()) {
            fail("has " + std::to_string(e.queries.size()) + " queries but " + std::to_string(e.answers.size()) +
                 " answers");
        }
        for (const index_t a : e.answers) {
            if (a < 0 || a >= static_cast<index_t>(e.supports.size())) {
                fail("has answer " + std::to_string(a) + ", not a position in its " +
                     std::to_string(e.supports.size()) + " supports");
            }
        }
    }
    EpisodeAccuracy r;
    std::vector<double> per_episode, scores;
    per_episode.reserve(episodes.size());
    r.chosen.reserve(episodes.size());
    for (const auto& e : episodes) {
        scores.resize(e.supports.size());
        index_t right = 0;
        auto& picks = r.chosen.emplace_back();
        picks.reserve(e.queries.size());
        for (std::size_t q = 0; q < e.queries.size(); ++q) {
            score(e.queries[q], std::span<const index_t>(e.supports), std::span<double>(scores));
            for (std::size_t c = 0; c < scores.size(); ++c) {
                if (std::isnan(scores[c])) {
                    throw std::invalid_argument("episode_accuracy: episode " + std::to_string(r.chosen.size() - 1) +
                                                ", query " + std::to_string(q) + ": the score of support " +
                                                std::to_string(c) + " is " + siamese::detail::format_number(scores[c]));
                }
            }
            const auto best = static_cast<index_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
            picks.push_back(best);
            right += best == e.answers[q];
        }
        per_episode.push_back(static_cast<double>(right) / static_cast<double>(e.queries.size()));
        r.queries += static_cast<index_t>(e.queries.size());
        r.correct += right;
    }
    const auto m = mean_with_ci95(per_episode);
    r.accuracy = m.mean;
    r.ci95 = m.ci95;
    r.std_dev = m.std_dev;
    r.episodes = static_cast<index_t>(episodes.size());
    return r;
}

}  // namespace siamese::eval
