// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/data/pair_sampler.hpp>
#include <siamese/eval/embed.hpp>
#include <siamese/kernels/elementwise.hpp>

#include <vector>

namespace siamese::eval {

/// Outcome of scoring balanced pair batches.
struct PairAccuracy {
    double accuracy = 0;      ///< fraction of pairs on the right side of the threshold
    index_t pairs = 0;        ///< pairs scored
    std::vector<float> scores;  ///< the score of each pair, in order (pair_accuracy: the probability of "same")
    std::vector<float> labels;  ///< 1 = same, 0 = different, in the same order
};

/// Pair accuracy as the tutorial measures it: `batches` batches of `batch_size` balanced pairs
/// drawn by `sampler` (first half different, second half same), a pair counted right when the
/// predicted probability of "same" is above `threshold` exactly when the pair is the same class.
/// `embeddings` are the model's embeddings of the sampler's image set (embed_all).
template <class Model>
[[nodiscard]] PairAccuracy pair_accuracy(Model& model, const Tensor<typename Model::value_type>& embeddings,
                                         data::PairSampler& sampler, index_t batches, index_t batch_size,
                                         double threshold = 0.5) {
    using T = typename Model::value_type;
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
            const double p = kernels::sigmoid(static_cast<double>(z[i]));
            const int label = data::PairSampler::pair_label(i, batch_size);
            correct += ((p > threshold) == (label == 1));
            result.scores.push_back(static_cast<float>(p));
            result.labels.push_back(static_cast<float>(label));
        }
    }
    result.pairs = batches * batch_size;
    result.accuracy = result.pairs > 0 ? static_cast<double>(correct) / static_cast<double>(result.pairs) : 0.0;
    return result;
}

/// Scores of `batches` balanced batches of pairs drawn by `sampler`, from any scorer with the
/// episode interface score(query, candidates, out) (higher = more alike): a model's head
/// (EmbeddingScorer), a negated embedding distance (DistanceScorer), raw pixels (PixelScorer).
/// Labels are 1 for same-class pairs. Feed the result to roc_auc, equal_error_rate or
/// calibrated_accuracy.
template <class Score>
[[nodiscard]] PairAccuracy pair_scores(data::PairSampler& sampler, index_t batches, index_t batch_size,
                                       Score&& score) {
    PairAccuracy result;
    std::vector<index_t> left(static_cast<std::size_t>(batch_size)), right(left.size());
    double out[1];
    for (index_t b = 0; b < batches; ++b) {
        sampler.sample_indices(left, right);
        for (index_t i = 0; i < batch_size; ++i) {
            const index_t candidate[1] = {right[static_cast<std::size_t>(i)]};
            score(left[static_cast<std::size_t>(i)], std::span<const index_t>(candidate), std::span<double>(out));
            result.scores.push_back(static_cast<float>(out[0]));
            result.labels.push_back(static_cast<float>(data::PairSampler::pair_label(i, batch_size)));
        }
    }
    result.pairs = batches * batch_size;
    return result;
}

}  // namespace siamese::eval
