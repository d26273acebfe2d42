// SPDX-License-Identifier: MIT
#pragma once

// Balanced pair batches scored by any scorer, without a threshold: the input of the ROC, the
// AUC, the EER and threshold calibration (pair_accuracy, beside it, applies the tutorial's).

#include <siamese/config.hpp>
#include <siamese/data/pair_sampler.hpp>
#include <siamese/eval/scorer.hpp>
#include <siamese/eval/sorted_pair_scores.hpp>  // sort_pair_scores lived here before 0.1's split

#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese::eval {

/// Outcome of pair_scores: balanced pair batches scored by any scorer, in the scorer's own
/// units (a logit, a negated distance), without a threshold. The input of roc_auc,
/// equal_error_rate and calibrated_accuracy.
struct PairScores {
    index_t pairs = 0;           ///< pairs scored
    std::vector<double> scores;  ///< the score of each pair, in order (higher = more alike)
    std::vector<double> labels;  ///< 1 = same, 0 = different, in the same order
};

namespace detail {

/// Throws std::invalid_argument unless batches >= 1 and batch_size >= 2.
inline void require_pair_batches(index_t batches, index_t batch_size, const char* who) {
    if (batches < 1) {
        throw std::invalid_argument(std::string(who) + ": batches must be at least 1, got " + std::to_string(batches));
    }
    // A batch of one pair holds only a same-class pair (the first half, b / 2 rows, is different):
    // every pair scored would be a same-class pair, and a model that always says "same" scores 1.
    if (batch_size < 2) {
        throw std::invalid_argument(std::string(who) + ": batch_size must be at least 2 (half different-class, " +
                                    "half same-class pairs), got " + std::to_string(batch_size));
    }
}

/// Puts a sampler back at the state it had when the guard was made, unless kept: an evaluation
/// that throws part-way (a NaN logit, embeddings of the wrong width that only the model can
/// tell) leaves the stream of batches as if it had not run.
class RewindUnlessKept {
public:
    explicit RewindUnlessKept(data::PairSampler& sampler) : sampler_(sampler), start_(sampler.state()) {}
    RewindUnlessKept(const RewindUnlessKept&) = delete;
    RewindUnlessKept& operator=(const RewindUnlessKept&) = delete;
    ~RewindUnlessKept() {
        if (!kept_) sampler_.set_state(start_);
    }
    void keep() noexcept { kept_ = true; }

private:
    data::PairSampler& sampler_;
    data::PairSampler::State start_;
    bool kept_ = false;
};

}  // namespace detail

/// Scores of `batches` balanced batches of pairs drawn by `sampler`, from any scorer with the
/// episode interface score(query, candidates, out) (higher = more alike): a model's head
/// (EmbeddingScorer), a negated embedding distance (DistanceScorer), raw pixels (PixelScorer).
/// Labels are 1 for same-class pairs. Feed the result to roc_auc, equal_error_rate or
/// calibrated_accuracy. An odd batch_size holds one more same-class pair than different-class
/// ones. Throws std::invalid_argument when batches is below 1 or batch_size below 2; a call that
/// throws (there, or in the scorer) leaves the sampler as it was.
template <PairScorer Score>
[[nodiscard]] PairScores pair_scores(data::PairSampler& sampler, index_t batches, index_t batch_size, Score&& score) {
    detail::require_pair_batches(batches, batch_size, "pair_scores");
    detail::RewindUnlessKept rewind(sampler);
    PairScores result;
    std::vector<index_t> left(static_cast<std::size_t>(batch_size)), right(left.size());
    double out[1];
    for (index_t b = 0; b < batches; ++b) {
        sampler.sample_indices(left, right);
        for (index_t i = 0; i < batch_size; ++i) {
            const index_t candidate[1] = {right[static_cast<std::size_t>(i)]};
            score(left[static_cast<std::size_t>(i)], std::span<const index_t>(candidate), std::span<double>(out));
            result.scores.push_back(out[0]);
            result.labels.push_back(data::PairSampler::pair_label(i, batch_size));
        }
    }
    result.pairs = batches * batch_size;
    rewind.keep();
    return result;
}

}  // namespace siamese::eval
