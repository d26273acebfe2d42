// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/data/pair_sampler.hpp>
#include <siamese/errors.hpp>
#include <siamese/eval/embed.hpp>
#include <siamese/eval/pair_scores.hpp>
#include <siamese/kernels/elementwise.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese::eval {

/// Outcome of pair_accuracy: balanced pair batches scored by a model's head at a threshold.
struct PairAccuracy {
    double accuracy = 0;  ///< fraction of pairs on the right side of the threshold
    index_t pairs = 0;    ///< pairs scored
    /// The probability of "same" of each pair, in order (named apart from PairScores::scores, a
    /// scorer's raw scores). It reaches 1 for logits above about 37: to rank pairs (roc_auc,
    /// equal_error_rate), score the logits with pair_scores and an EmbeddingScorer instead.
    std::vector<double> probabilities;
    std::vector<double> labels;  ///< 1 = same, 0 = different, in the same order
};

/// Pair accuracy as the tutorial measures it: `batches` batches of `batch_size` balanced pairs
/// drawn by `sampler` (first half different, second half same), a pair counted right when the
/// predicted probability of "same" is above `threshold` exactly when the pair is the same class
/// (strictly above, as the tutorial counts; accuracy_at_threshold counts a score equal to its
/// threshold as "same": give it std::nextafter(threshold, 1.0) for this rule).
/// `embeddings` are the model's embeddings of the sampler's image set (embed_all). Throws
/// std::invalid_argument when batches is below 1, batch_size below 2 (one pair is always a
/// same-class pair) or the threshold is NaN, and
/// shape_error when the embeddings are not [N, D] with N the sampler's image count (and D the
/// model's embedding_dim(), for a model that has one). A call that throws leaves the sampler as
/// it was. An odd batch_size holds one more same-class pair than different-class ones.
template <class Model>
[[nodiscard]] PairAccuracy pair_accuracy(Model& model, const Tensor<typename Model::value_type>& embeddings,
                                         data::PairSampler& sampler, index_t batches, index_t batch_size,
                                         double threshold = 0.5) {
    using T = typename Model::value_type;
    detail::require_pair_batches(batches, batch_size, "pair_accuracy");
    if (std::isnan(threshold)) throw std::invalid_argument("pair_accuracy: threshold must be a number, got nan");
    const index_t n = sampler.images().size();
    if (embeddings.rank() != 2 || embeddings.dim(0) != n) {
        throw shape_error("pair_accuracy: expected embeddings [" + std::to_string(n) +
                          ", D] of the sampler's image set of " + std::to_string(n) + " images, got " +
                          embeddings.shape().str());
    }
    // A model that knows its width is asked now, not at its first batch.
    if constexpr (requires { model.embedding_dim(); }) {
        if (embeddings.dim(1) != static_cast<index_t>(model.embedding_dim())) {
            throw shape_error("pair_accuracy: the model's embeddings are " + std::to_string(model.embedding_dim()) +
                              " wide, got " + embeddings.shape().str() + " (embeddings of another model?)");
        }
    }
    detail::RewindUnlessKept rewind(sampler);
    PairAccuracy result;
    std::vector<index_t> left(static_cast<std::size_t>(batch_size)), right(left.size());
    Tensor<T> e_left, e_right;
    index_t correct = 0;
    for (index_t b = 0; b < batches; ++b) {
        sampler.sample_indices(left, right);
        gather_rows(embeddings, std::span<const index_t>(left), e_left);
        gather_rows(embeddings, std::span<const index_t>(right), e_right);
        const Tensor<T>& z = model.logits_from_embeddings(e_left, e_right);
        for (index_t i = 0; i < batch_size; ++i) {
            // NaN would silently count as "different": right on half the pairs, chance accuracy.
            if (std::isnan(z[i])) {
                throw std::invalid_argument("pair_accuracy: the model's logit is NaN for images " +
                                            std::to_string(left[static_cast<std::size_t>(i)]) + " and " +
                                            std::to_string(right[static_cast<std::size_t>(i)]) +
                                            ": its weights or the embeddings are not finite");
            }
            const double p = kernels::sigmoid(static_cast<double>(z[i]));
            const int label = data::PairSampler::pair_label(i, batch_size);
            correct += ((p > threshold) == (label == 1));
            result.probabilities.push_back(p);
            result.labels.push_back(label);
        }
    }
    result.pairs = batches * batch_size;
    result.accuracy = result.pairs > 0 ? static_cast<double>(correct) / static_cast<double>(result.pairs) : 0.0;
    rewind.keep();
    return result;
}

}  // namespace siamese::eval
