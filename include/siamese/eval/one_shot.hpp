// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/data/labelled_images.hpp>
#include <siamese/errors.hpp>
#include <siamese/eval/embed.hpp>
#include <siamese/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese::eval {

struct OneShotOptions {
    index_t ways = 10;          ///< classes per episode (one support image each)
    index_t episodes = 1000;
    std::uint64_t seed = 2000;
};

struct OneShotResult {
    double accuracy = 0;
    double ci95 = 0;            ///< half-width of the normal-approximation 95 % interval
    index_t episodes = 0;
    index_t ways = 0;
};

/// N-way one-shot classification. Each episode draws `ways` distinct classes (all of them when
/// the set has exactly `ways`), one support image per class and one query image of one of those
/// classes that is not its support image; the prediction is the class whose support image the
/// query scores highest with (a tie goes to the first). `score(query, supports, out)` writes one
/// similarity per support index (higher = more alike). Classes with a single image can be
/// supports but never the query's class.
template <class Score>
[[nodiscard]] OneShotResult one_shot_accuracy(const data::LabelledImages& images, Score&& score,
                                              const OneShotOptions& options = {}) {
    const auto& classes = images.classes();
    const auto n_classes = static_cast<index_t>(classes.size());
    if (options.ways < 2 || options.ways > n_classes) {
        throw std::invalid_argument("one_shot_accuracy: " + std::to_string(options.ways) + "-way episodes need 2.." +
                                    std::to_string(n_classes) + " ways (the set has " + std::to_string(n_classes) +
                                    " classes)");
    }
    std::vector<std::vector<index_t>> members(classes.size());
    for (index_t i = 0; i < images.size(); ++i) {
        const auto c = std::lower_bound(classes.begin(), classes.end(), images.label(i)) - classes.begin();
        members[static_cast<std::size_t>(c)].push_back(i);
    }
    Rng rng(options.seed);
    std::vector<index_t> order(classes.size()), chosen(static_cast<std::size_t>(options.ways)),
        supports(chosen.size()), candidates;
    std::vector<double> scores(chosen.size());
    index_t correct = 0;
    for (index_t e = 0; e < options.episodes; ++e) {
        // A partial Fisher-Yates shuffle picks `ways` distinct classes.
        for (std::size_t c = 0; c < order.size(); ++c) order[c] = static_cast<index_t>(c);
        for (index_t k = 0; k < options.ways; ++k) {
            const index_t j = k + rng.uniform_int(n_classes - k);
            std::swap(order[static_cast<std::size_t>(k)], order[static_cast<std::size_t>(j)]);
            chosen[static_cast<std::size_t>(k)] = order[static_cast<std::size_t>(k)];
        }
        for (std::size_t k = 0; k < chosen.size(); ++k) {
            const auto& m = members[static_cast<std::size_t>(chosen[k])];
            supports[k] = m[static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(m.size())))];
        }
        candidates.clear();
        for (std::size_t k = 0; k < chosen.size(); ++k) {
            if (members[static_cast<std::size_t>(chosen[k])].size() >= 2) candidates.push_back(static_cast<index_t>(k));
        }
        if (candidates.empty()) {
            throw std::invalid_argument("one_shot_accuracy: no class in the episode has a second image for a query");
        }
        const index_t truth = candidates[static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(candidates.size())))];
        const auto& m = members[static_cast<std::size_t>(chosen[static_cast<std::size_t>(truth)])];
        index_t query = supports[static_cast<std::size_t>(truth)];
        while (query == supports[static_cast<std::size_t>(truth)]) {
            query = m[static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(m.size())))];
        }
        score(query, std::span<const index_t>(supports), std::span<double>(scores));
        std::size_t best = 0;
        for (std::size_t k = 1; k < scores.size(); ++k) {
            if (scores[k] > scores[best]) best = k;
        }
        correct += static_cast<index_t>(best) == truth;
    }
    OneShotResult r;
    r.episodes = options.episodes;
    r.ways = options.ways;
    r.accuracy = options.episodes > 0 ? static_cast<double>(correct) / static_cast<double>(options.episodes) : 0.0;
    r.ci95 = options.episodes > 0
                 ? 1.96 * std::sqrt(r.accuracy * (1 - r.accuracy) / static_cast<double>(options.episodes))
                 : 0.0;
    return r;
}

/// A one-shot scorer for a Siamese model: the model's logit for (query, support), computed from
/// precomputed embeddings ([N, D], embed_all) of the same image set.
template <class Model>
class EmbeddingScorer {
public:
    using T = typename Model::value_type;

    EmbeddingScorer(Model& model, const Tensor<T>& embeddings) : model_(&model), embeddings_(&embeddings) {}

    void operator()(index_t query, std::span<const index_t> supports, std::span<double> out) {
        queries_.assign(supports.size(), query);
        gather_rows(*embeddings_, std::span<const index_t>(queries_), e_query_);
        gather_rows(*embeddings_, supports, e_support_);
        const Tensor<T>& z = model_->logits_from_embeddings(e_query_, e_support_);
        for (std::size_t k = 0; k < supports.size(); ++k) out[k] = static_cast<double>(z[static_cast<index_t>(k)]);
    }

private:
    Model* model_;
    const Tensor<T>* embeddings_;
    std::vector<index_t> queries_;
    Tensor<T> e_query_, e_support_;
};

}  // namespace siamese::eval
