// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/data/labelled_images.hpp>
#include <siamese/eval/episodes.hpp>
#include <siamese/eval/scorer.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace siamese::eval {

/// The episodes of one_shot_accuracy: the MNIST example's defaults (10-way, 1000 episodes).
struct OneShotOptions {
    index_t ways = 10;          ///< classes per episode (one support image each)
    index_t episodes = 1000;    ///< episodes drawn, one query each
    std::uint64_t seed = 2000;  ///< the draw's seed: the same seed draws the same episodes
};

/// accuracy, ci95 (normal approximation over episodes), episodes, ways, and more: see FewShotResult.
using OneShotResult = FewShotResult;

/// N-way one-shot classification: few_shot_accuracy with one support per class and one query
/// per episode. Each episode draws `ways` distinct classes (all of them when the set has
/// exactly `ways`), one support image per class and one query image, not a support, of one of
/// those classes; the prediction is the class whose support the query scores highest with (a
/// tie goes to the first). `score(query, supports, out)` writes one similarity per support
/// (higher = more alike). Classes with a single image can be supports but never the query's
/// class. Each episode's accuracy is 0 or 1, so ci95 is 1.96 s / sqrt(episodes) with s the
/// sample standard deviation of those 0/1 outcomes. Throws std::invalid_argument when ways is
/// outside 2..classes or episodes < 1, and, part-way through, when the scorer returns NaN.
template <PairScorer Score>
[[nodiscard]] OneShotResult one_shot_accuracy(const data::LabelledImages& images, Score&& score,
                                              const OneShotOptions& options = {}) {
    const auto n_classes = static_cast<index_t>(images.classes().size());
    if (options.ways < 2) {
        throw std::invalid_argument("one_shot_accuracy: ways must be at least 2, got " + std::to_string(options.ways));
    }
    if (options.ways > n_classes) {
        throw std::invalid_argument("one_shot_accuracy: " + std::to_string(options.ways) +
                                    "-way episodes need as many classes, but the set has " + std::to_string(n_classes));
    }
    if (options.episodes < 1) {
        throw std::invalid_argument("one_shot_accuracy: episodes must be at least 1, got " +
                                    std::to_string(options.episodes));
    }
    FewShotOptions o;
    o.ways = options.ways;
    o.shots = 1;
    o.queries_per_episode = 1;
    o.episodes = options.episodes;
    o.seed = options.seed;
    return few_shot_accuracy(images, std::forward<Score>(score), o);
}

}  // namespace siamese::eval
