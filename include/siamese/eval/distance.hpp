// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/errors.hpp>
#include <siamese/eval/embedding_rows.hpp>
#include <siamese/eval/scorer.hpp>
#include <siamese/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

namespace siamese::eval {

/// How far apart two embeddings are.
enum class Distance {
    l2,      ///< Euclidean distance ||a - b||
    cosine,  ///< 1 - cos(a, b), in [0, 2]; a zero vector has cosine 0 with everything (distance 1),
             ///< a vector holding a NaN or an inf has none (NaN)
};

/// Distance between two vectors of length d, accumulated in double. A direct sum of squared
/// differences rather than |a|^2 + |b|^2 - 2ab, which cancels for near neighbours and could
/// reorder them.
template <class T>
[[nodiscard]] double vector_distance(const T* a, const T* b, index_t d, Distance metric) noexcept {
    if (metric == Distance::l2) {
        double sum = 0;
        for (index_t k = 0; k < d; ++k) {
            const double diff = static_cast<double>(a[k]) - static_cast<double>(b[k]);
            sum += diff * diff;
        }
        if (std::isfinite(sum)) [[likely]] {
            return std::sqrt(sum);
        }
        // A NaN difference has no distance, even beside an inf one (std::max below would skip it).
        if (std::isnan(sum)) return sum;
        // Differences beyond 1e154 overflow the squares: again with the differences scaled by a
        // power of two (exact) to at most 1, the scale put back after the square root.
        double largest = 0;
        for (index_t k = 0; k < d; ++k)
            largest = std::max(largest, std::abs(static_cast<double>(a[k]) - static_cast<double>(b[k])));
        if (!std::isfinite(largest)) return largest;  // an inf in the input, or a difference past double
        const int e = std::ilogb(largest) + 1;
        sum = 0;
        for (index_t k = 0; k < d; ++k) {
            const double diff = std::ldexp(static_cast<double>(a[k]) - static_cast<double>(b[k]), -e);
            sum += diff * diff;
        }
        return std::ldexp(std::sqrt(sum), e);
    }
    // The cosine does not change with each vector's scale: each is scaled by a power of two (exact)
    // to a largest magnitude near 1, so the sums neither underflow nor overflow in double for
    // vectors far from 1 (unscaled, |a|^2 |b|^2 is 0 for 1e-80-sized vectors, inf for 1e160-sized).
    // The maxima let a NaN through (std::max would drop it, and a row of NaNs and zeros would
    // score as a zero vector, distance 1): a vector holding a NaN or an inf has no cosine.
    double a_max = 0, b_max = 0;
    for (index_t k = 0; k < d; ++k) {
        const double x = std::abs(static_cast<double>(a[k])), y = std::abs(static_cast<double>(b[k]));
        if (x > a_max || std::isnan(x)) a_max = x;  // once NaN, nothing is greater
        if (y > b_max || std::isnan(y)) b_max = y;
    }
    if (!std::isfinite(a_max) || !std::isfinite(b_max)) return std::numeric_limits<double>::quiet_NaN();
    if (a_max == 0.0 || b_max == 0.0) return 1.0;
    const int a_exp = std::ilogb(a_max), b_exp = std::ilogb(b_max);
    double ab = 0, aa = 0, bb = 0;
    for (index_t k = 0; k < d; ++k) {
        const double x = std::ldexp(static_cast<double>(a[k]), -a_exp);
        const double y = std::ldexp(static_cast<double>(b[k]), -b_exp);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    // Rounding can take the cosine a hair past +-1.
    return 1.0 - std::clamp(ab / std::sqrt(aa * bb), -1.0, 1.0);
}

/// A scorer on precomputed embeddings ([N, D], e.g. embed_all, or pixel_embeddings): the
/// score of (query, candidate) is minus their distance, so the nearest candidate scores
/// highest. For models trained with a distance loss (contrastive, triplet); a Siamese model's
/// own head is EmbeddingScorer. Usable with few_shot_accuracy and retrieval_metrics.
/// Keeps a reference to the embeddings, which must outlive it.
template <class T>
class DistanceScorer {
public:
    DistanceScorer(const Tensor<T>& embeddings, Distance metric = Distance::l2)
        : embeddings_(&embeddings), metric_(metric) {
        detail::require_matrix(embeddings, "DistanceScorer");
    }
    DistanceScorer(Tensor<T>&&, Distance = Distance::l2) = delete;  // would dangle

    /// out[k] = -distance(row query, row candidates[k]). Throws shape_error when an index is not
    /// a row of the embeddings (embeddings of another image set), or `out` has not one slot per
    /// candidate, before writing anything.
    void operator()(index_t query, std::span<const index_t> candidates, std::span<double> out) const {
        detail::require_score_per_candidate(candidates.size(), out.size(), "DistanceScorer");
        detail::require_rows(*embeddings_, query, candidates, "DistanceScorer");
        const index_t d = embeddings_->dim(1);
        const T* q = embeddings_->data() + query * d;
        for (std::size_t k = 0; k < candidates.size(); ++k) {
            out[k] = -vector_distance(q, embeddings_->data() + candidates[k] * d, d, metric_);
        }
    }

    [[nodiscard]] Distance metric() const noexcept { return metric_; }

private:
    const Tensor<T>* embeddings_;
    Distance metric_;
};

}  // namespace siamese::eval
