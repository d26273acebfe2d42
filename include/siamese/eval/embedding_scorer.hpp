// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/eval/embed.hpp>
#include <siamese/eval/embedding_rows.hpp>
#include <siamese/eval/scorer.hpp>
#include <siamese/tensor.hpp>

#include <cstddef>
#include <span>
#include <vector>

namespace siamese::eval {

/// A scorer for a Siamese model: the model's logit for (query, candidate), computed from
/// precomputed embeddings ([N, D], embed_all) of the same image set. Keeps references to the
/// model and the embeddings. A query or candidate that is not a row of the embeddings
/// (embeddings of another image set), or an `out` without one slot per candidate, throws
/// shape_error.
template <class Model>
class EmbeddingScorer {
public:
    using T = typename Model::value_type;

    EmbeddingScorer(Model& model, const Tensor<T>& embeddings) : model_(&model), embeddings_(&embeddings) {}
    EmbeddingScorer(Model&, Tensor<T>&&) = delete;  // would dangle

    void operator()(index_t query, std::span<const index_t> candidates, std::span<double> out) {
        detail::require_score_per_candidate(candidates.size(), out.size(), "EmbeddingScorer");
        detail::require_rows(*embeddings_, query, candidates, "EmbeddingScorer");
        queries_.assign(candidates.size(), query);
        gather_rows(*embeddings_, std::span<const index_t>(queries_), e_query_);
        gather_rows(*embeddings_, candidates, e_candidate_);
        const Tensor<T>& z = model_->logits_from_embeddings(e_query_, e_candidate_);
        for (std::size_t k = 0; k < candidates.size(); ++k) out[k] = static_cast<double>(z[static_cast<index_t>(k)]);
    }

private:
    Model* model_;
    const Tensor<T>* embeddings_;
    std::vector<index_t> queries_;
    Tensor<T> e_query_, e_candidate_;
};

}  // namespace siamese::eval
