// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/data/labelled_images.hpp>
#include <siamese/errors.hpp>
#include <siamese/eval/distance.hpp>
#include <siamese/eval/scorer.hpp>
#include <siamese/parallel.hpp>
#include <siamese/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese::eval {

/// Retrieval quality of a whole labelled set, every item in turn the query and all the others
/// the database (exact, exhaustive nearest neighbours).
struct RetrievalResult {
    /// Fraction of queries whose nearest other item has the query's class (leave-one-out 1-NN accuracy).
    double precision_at_1 = 0;
    /// Mean over queries of AP@R (Musgrave, Belongie & Lim, "A Metric Learning Reality Check",
    /// 2020): with R the number of other items of the query's class and rel(i) = 1 when the i-th
    /// nearest other item has that class, AP@R = (1/R) sum_{i=1..R} rel(i) * P@i, where P@i is
    /// the fraction of the i nearest with that class. 1 exactly when the R nearest are all of
    /// the query's class; unlike plain MAP it ignores how far down the ranking the rest are.
    double map_at_r = 0;
    index_t queries = 0;  ///< items with at least one other item of their class
    index_t skipped = 0;  ///< items alone in their class (R = 0): neither metric is defined, so left out
};

namespace detail {

struct QueryScore {
    double precision_at_1 = 0;
    double ap_at_r = 0;
};

/// Ranks the items j != query by descending scores[j] (ties by ascending index, so results do
/// not depend on the sort's internals) and scores the top R. `order` is scratch space.
inline QueryScore rank_query(index_t query, std::span<const double> scores, std::span<const data::label_t> labels,
                             index_t r, std::vector<index_t>& order) {
    const auto n = static_cast<index_t>(labels.size());
    order.resize(static_cast<std::size_t>(n - 1));
    for (index_t j = 0, k = 0; j < n; ++j)
        if (j != query) order[static_cast<std::size_t>(k++)] = j;
    const auto cut = order.begin() + static_cast<std::ptrdiff_t>(r);
    std::partial_sort(order.begin(), cut, order.end(), [&](index_t a, index_t b) {
        const double sa = scores[static_cast<std::size_t>(a)], sb = scores[static_cast<std::size_t>(b)];
        return sa > sb || (sa == sb && a < b);
    });
    const data::label_t mine = labels[static_cast<std::size_t>(query)];
    QueryScore q;
    index_t hits = 0;
    for (index_t i = 0; i < r; ++i) {
        if (labels[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] != mine) continue;
        ++hits;
        q.ap_at_r += static_cast<double>(hits) / static_cast<double>(i + 1);
    }
    q.ap_at_r /= static_cast<double>(r);
    q.precision_at_1 = labels[static_cast<std::size_t>(order[0])] == mine ? 1.0 : 0.0;
    return q;
}

/// R for every item: the number of other items with its label.
inline std::vector<index_t> relevant_counts(std::span<const data::label_t> labels) {
    std::vector<data::label_t> sorted(labels.begin(), labels.end());
    std::sort(sorted.begin(), sorted.end());
    std::vector<index_t> r(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const auto range = std::equal_range(sorted.begin(), sorted.end(), labels[i]);
        r[i] = static_cast<index_t>(range.second - range.first) - 1;
    }
    return r;
}

inline RetrievalResult summarise(const std::vector<QueryScore>& per_query, const std::vector<index_t>& r) {
    RetrievalResult out;
    for (std::size_t i = 0; i < r.size(); ++i) {
        if (r[i] == 0) {
            ++out.skipped;
            continue;
        }
        ++out.queries;
        out.precision_at_1 += per_query[i].precision_at_1;
        out.map_at_r += per_query[i].ap_at_r;
    }
    if (out.queries > 0) {
        out.precision_at_1 /= static_cast<double>(out.queries);
        out.map_at_r /= static_cast<double>(out.queries);
    }
    return out;
}

}  // namespace detail

/// Precision@1 and MAP@R of embeddings [N, D] with one label per row, by exact nearest
/// neighbours under `metric`, each query excluded from its own database. Equal distances are
/// ranked by ascending row index. Costs N^2 D operations, parallel over queries through
/// parallel_ranges; the result does not depend on the thread count. Throws shape_error when the
/// embeddings are not [labels.size(), D], std::invalid_argument on a non-finite embedding.
template <class T>
[[nodiscard]] RetrievalResult retrieval_metrics(const Tensor<T>& embeddings, std::span<const data::label_t> labels,
                                                Distance metric = Distance::l2) {
    detail::require_matrix(embeddings, "retrieval_metrics");
    const index_t n = embeddings.dim(0), d = embeddings.dim(1);
    if (n != static_cast<index_t>(labels.size())) {
        throw shape_error("retrieval_metrics: embeddings " + embeddings.shape().str() + " and labels [" +
                          std::to_string(labels.size()) + "] must have one row per label");
    }
    for (index_t i = 0; i < embeddings.size(); ++i) {
        if (!std::isfinite(static_cast<double>(embeddings[i]))) {
            throw std::invalid_argument("retrieval_metrics: embedding row " + std::to_string(i / d) +
                                        " holds a non-finite value");
        }
    }
    const std::vector<index_t> r = detail::relevant_counts(labels);
    std::vector<detail::QueryScore> per_query(static_cast<std::size_t>(n));
    // Each thread's buffers, allocated here: a std::bad_alloc inside the parallel region would
    // end the program instead of reaching the caller.
    const auto threads = static_cast<std::size_t>(num_threads());
    std::vector<std::vector<double>> scores(threads, std::vector<double>(static_cast<std::size_t>(n)));
    std::vector<std::vector<index_t>> orders(threads, std::vector<index_t>(static_cast<std::size_t>(n)));
    parallel_ranges(n, [&](int thread, index_t begin, index_t end) {
        std::vector<double>& score = scores[static_cast<std::size_t>(thread)];
        std::vector<index_t>& order = orders[static_cast<std::size_t>(thread)];  // rank_query stays within it
        for (index_t q = begin; q < end; ++q) {
            if (r[static_cast<std::size_t>(q)] == 0) continue;
            const T* row = embeddings.data() + q * d;
            for (index_t j = 0; j < n; ++j) {
                score[static_cast<std::size_t>(j)] = -vector_distance(row, embeddings.data() + j * d, d, metric);
            }
            per_query[static_cast<std::size_t>(q)] =
                detail::rank_query(q, score, labels, r[static_cast<std::size_t>(q)], order);
        }
    });
    return detail::summarise(per_query, r);
}

/// Precision@1 and MAP@R of an image set under any scorer (higher = more alike; e.g. a
/// DistanceScorer, PixelScorer or HausdorffScorer, or EmbeddingScorer for a Siamese head):
/// each image is scored against all the others in one call, score(query, others, out). Serial,
/// since scorers may keep state. Ties are ranked by ascending image index. Throws
/// std::invalid_argument when the scorer returns NaN.
template <class Score>
requires PairScorer<Score>
[[nodiscard]] RetrievalResult retrieval_metrics(const data::LabelledImages& images, Score&& score) {
    const index_t n = images.size();
    const auto labels = images.labels();
    const std::vector<index_t> r = detail::relevant_counts(labels);
    std::vector<detail::QueryScore> per_query(static_cast<std::size_t>(n));
    std::vector<index_t> others, order;
    std::vector<double> out, scores(static_cast<std::size_t>(n));
    for (index_t q = 0; q < n; ++q) {
        if (r[static_cast<std::size_t>(q)] == 0) continue;
        others.clear();
        for (index_t j = 0; j < n; ++j)
            if (j != q) others.push_back(j);
        out.resize(others.size());
        score(q, std::span<const index_t>(others), std::span<double>(out));
        for (std::size_t k = 0; k < others.size(); ++k) {
            if (std::isnan(out[k])) {
                throw std::invalid_argument("retrieval_metrics: the scorer returned NaN for images " +
                                            std::to_string(q) + " and " + std::to_string(others[k]));
            }
            scores[static_cast<std::size_t>(others[k])] = out[k];
        }
        per_query[static_cast<std::size_t>(q)] =
            detail::rank_query(q, scores, labels, r[static_cast<std::size_t>(q)], order);
    }
    return detail::summarise(per_query, r);
}

}  // namespace siamese::eval
