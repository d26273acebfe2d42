// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/detail/check_scalar.hpp>
#include <siamese/detail/format_number.hpp>
#include <siamese/errors.hpp>
#include <siamese/kernels/pairwise_distance.hpp>
#include <siamese/tensor.hpp>

#include <cmath>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

namespace siamese {

/// Which triplets (anchor a, positive p of a's class, p != a, negative n of another class)
/// a batch with labels contributes.
enum class TripletMining {
    /// Every valid triplet of the batch (Hermans et al.'s "batch all").
    batch_all,
    /// One per anchor: its farthest positive and its nearest negative ("batch hard").
    batch_hard,
    /// One per anchor-positive pair, FaceNet's semi-hard negative: the nearest negative
    /// farther than the positive but within the margin, d(a,p) < d(a,n) < d(a,p) + margin.
    /// When no negative lies in that band, the nearest negative of all is used instead.
    semi_hard,
};

/// What batch_all averages over (batch_hard and semi_hard always average over all their triplets).
enum class TripletAverage {
    active,  ///< the triplets with positive loss: easy triplets do not dilute the gradient as training goes on
    all,     ///< every valid triplet
};

/// Hyperparameters of TripletMarginLoss.
struct TripletOptions {
    double margin = 1.0;
    TripletMining mining = TripletMining::batch_hard;
    TripletAverage average = TripletAverage::active;  ///< batch_all only
    bool squared = false;                             ///< distance ||a - b||^2 (FaceNet) instead of ||a - b||
    double eps = 1e-12;  ///< d = sqrt(||a - b||^2 + eps): differentiable at a = b (unused when squared)
};

/// Triplet margin loss with in-batch mining:
///   L = mean over the chosen triplets of max(0, d(a, p) - d(a, n) + margin)
/// forward(embeddings, labels) mines triplets from class labels (TripletOptions::mining);
/// forward_triplets takes them ready-made, as TripletSampler draws them. Backward routes the
/// gradient through the chosen triplets only (ties: the first index wins, so the choice is
/// deterministic). A batch with no valid triplet (one class only, or no class with two
/// images) has loss 0 and gradient 0; triplets() then reports 0.
/// Caches a copy of the embeddings, the distance matrix and dL/dd for backward.
template <class T = float>
class TripletMarginLoss {
public:
    explicit TripletMarginLoss(TripletOptions options = {}) : options_(options) {
        if (!(options.margin >= 0) || !std::isfinite(options.margin)) {
            throw std::invalid_argument(name() + ": margin must be non-negative and finite, got " +
                                        detail::format_number(options.margin));
        }
        // The triplets use the margin as a T: it must still be finite there (0 is allowed).
        siamese::detail::check_margin<T>("TripletMarginLoss", options.margin, false);
        siamese::detail::check_positive_normal<T>("TripletMarginLoss", "eps", options.eps);
    }

    [[nodiscard]] std::string name() const { return "TripletMarginLoss"; }

    /// embeddings: [N, D], labels: N class ids  ->  mean loss over the mined triplets.
    T forward(const Tensor<T>& embeddings, std::span<const std::int64_t> labels) {
        if (embeddings.rank() != 2 || embeddings.dim(0) < 1 || embeddings.dim(1) < 1) {
            throw shape_error(name() + ": expected embeddings [N, D], got " + embeddings.shape().str());
        }
        if (static_cast<index_t>(labels.size()) != embeddings.dim(0)) {
            throw shape_error(name() + ": " + std::to_string(labels.size()) + " labels for embeddings " +
                              embeddings.shape().str());
        }
        const index_t n = prepare(embeddings);
        kernels::pairwise_squared_distance(n, n, embeddings.dim(1), emb_.data(), emb_.data(), dist_.data());
        for (index_t i = 0; i < n * n; ++i) dist_[i] = to_distance(dist_[i]);
        switch (options_.mining) {
            case TripletMining::batch_all:
                mine_all(labels);
                break;
            case TripletMining::batch_hard:
                mine_hard(labels);
                break;
            case TripletMining::semi_hard:
                mine_semi_hard(labels);
                break;
        }
        return finish(options_.mining == TripletMining::batch_all && options_.average == TripletAverage::active
                          ? active_
                          : triplets_);
    }

    /// triplets: [3B, D], the B anchors, then the B positives, then the B negatives (triplet i
    /// is rows i, B + i, 2B + i)  ->  mean loss over the B triplets.
    T forward_triplets(const Tensor<T>& triplets) {
        if (triplets.rank() != 2 || triplets.dim(0) < 3 || triplets.dim(0) % 3 != 0 || triplets.dim(1) < 1) {
            throw shape_error(name() + ": expected triplets [3B, D] (anchors, positives, negatives), got " +
                              triplets.shape().str());
        }
        const index_t n = prepare(triplets), b = n / 3, d = triplets.dim(1);
        dist_.zero();  // only the 2B distances used are computed
        for (index_t i = 0; i < b; ++i) {
            for (const index_t j : {b + i, 2 * b + i}) {
                dist_[i * n + j] = to_distance(kernels::squared_distance(d, emb_.data() + i * d, emb_.data() + j * d));
            }
            add_triplet(i, b + i, 2 * b + i);
        }
        return finish(triplets_);
    }

    /// dL/d(embeddings) of the last forward: [N, D] (for forward_triplets, [3B, D]).
    const Tensor<T>& backward() {
        if (!ready_) throw std::logic_error(name() + ": backward called before forward");
        const index_t n = emb_.dim(0), d = emb_.dim(1);
        // dL/ds_ij from dL/dd_ij, then symmetrised: e_i takes part in d_ij and in d_ji.
        grad_s_.resize(Shape{n, n});
        for (index_t i = 0; i < n * n; ++i) {
            const T g = grad_d_[i];
            grad_s_[i] = (g == T(0) || options_.squared) ? g : g / (2 * dist_[i]);
        }
        for (index_t i = 0; i < n; ++i) {
            for (index_t j = i + 1; j < n; ++j) {
                const T sum = grad_s_[i * n + j] + grad_s_[j * n + i];
                grad_s_[i * n + j] = sum;
                grad_s_[j * n + i] = sum;
            }
        }
        grad_.resize(emb_.shape());
        kernels::pairwise_squared_distance_backward(n, n, d, emb_.data(), emb_.data(), grad_s_.data(), grad_.data(),
                                                    static_cast<T*>(nullptr));
        return grad_;
    }

    /// Triplets the last forward chose: every valid one (batch_all), one per anchor (batch_hard),
    /// one per anchor-positive pair (semi_hard), B (forward_triplets). 0 when none was valid.
    [[nodiscard]] index_t triplets() const noexcept { return triplets_; }
    /// Of those, the triplets with positive loss: the ones that move the embeddings (and what
    /// batch_all with TripletAverage::active divides by).
    [[nodiscard]] index_t active_triplets() const noexcept { return active_; }
    /// Distances of the last forward: [N, N] (after forward_triplets only the anchor-positive
    /// and anchor-negative entries are filled, the rest are 0).
    [[nodiscard]] const Tensor<T>& distances() const noexcept { return dist_; }
    [[nodiscard]] const TripletOptions& options() const noexcept { return options_; }

private:
    index_t prepare(const Tensor<T>& embeddings) {
        ready_ = false;  // first: a std::bad_alloc below must not leave backward n rows over n_old x n_old buffers
        copy_into(emb_, embeddings.view());
        const index_t n = embeddings.dim(0);
        dist_.resize(Shape{n, n});
        grad_d_.resize(Shape{n, n});
        grad_d_.zero();
        total_ = 0;
        triplets_ = active_ = 0;
        return n;
    }

    [[nodiscard]] T to_distance(T squared) const noexcept {
        return options_.squared ? squared : std::sqrt(squared + static_cast<T>(options_.eps));
    }

    [[nodiscard]] T d(index_t i, index_t j) const noexcept { return dist_[i * emb_.dim(0) + j]; }

    // Counts triplet (a, p, n); if its loss is positive, adds it and its unit dL/dd entries
    // (scaled by 1 / denominator in finish). A NaN loss (from non-finite embeddings) is added
    // too, so that it shows in the result instead of passing for a satisfied triplet.
    void add_triplet(index_t a, index_t p, index_t n) {
        ++triplets_;
        const T loss = d(a, p) - d(a, n) + static_cast<T>(options_.margin);
        if (!(loss <= T(0))) {
            ++active_;
            total_ += static_cast<double>(loss);
            const index_t rows = emb_.dim(0);
            grad_d_[a * rows + p] += T(1);
            grad_d_[a * rows + n] -= T(1);
        }
    }

    void mine_all(std::span<const std::int64_t> labels) {
        const index_t n = emb_.dim(0);
        for (index_t a = 0; a < n; ++a) {
            for (index_t p = 0; p < n; ++p) {
                if (p == a || labels[idx(p)] != labels[idx(a)]) continue;
                for (index_t k = 0; k < n; ++k) {
                    if (labels[idx(k)] != labels[idx(a)]) add_triplet(a, p, k);
                }
            }
        }
    }

    void mine_hard(std::span<const std::int64_t> labels) {
        const index_t n = emb_.dim(0);
        for (index_t a = 0; a < n; ++a) {
            index_t hardest_p = -1, hardest_n = -1;
            for (index_t j = 0; j < n; ++j) {
                if (j == a) continue;
                if (labels[idx(j)] == labels[idx(a)]) {
                    if (hardest_p < 0 || d(a, j) > d(a, hardest_p)) hardest_p = j;
                } else if (hardest_n < 0 || d(a, j) < d(a, hardest_n)) {
                    hardest_n = j;
                }
            }
            if (hardest_p >= 0 && hardest_n >= 0) add_triplet(a, hardest_p, hardest_n);
        }
    }

    void mine_semi_hard(std::span<const std::int64_t> labels) {
        const index_t n = emb_.dim(0);
        const T margin = static_cast<T>(options_.margin);
        for (index_t a = 0; a < n; ++a) {
            for (index_t p = 0; p < n; ++p) {
                if (p == a || labels[idx(p)] != labels[idx(a)]) continue;
                const T dap = d(a, p);
                index_t semi = -1, nearest = -1;
                for (index_t k = 0; k < n; ++k) {
                    if (labels[idx(k)] == labels[idx(a)]) continue;
                    const T dak = d(a, k);
                    if (nearest < 0 || dak < d(a, nearest)) nearest = k;
                    if (dak > dap && dak < dap + margin && (semi < 0 || dak < d(a, semi))) semi = k;
                }
                if (nearest >= 0) add_triplet(a, p, semi >= 0 ? semi : nearest);
            }
        }
    }

    T finish(index_t denominator) {
        if (denominator > 0) {
            const T scale = T(1) / static_cast<T>(denominator);
            for (auto& g : grad_d_) g *= scale;
        }
        ready_ = true;
        return denominator > 0 ? static_cast<T>(total_ / static_cast<double>(denominator)) : T(0);
    }

    static std::size_t idx(index_t i) noexcept { return static_cast<std::size_t>(i); }

    TripletOptions options_;
    Tensor<T> emb_, dist_, grad_d_, grad_s_, grad_;
    double total_ = 0;  // in double: a batch mean should not depend on summation luck
    index_t triplets_ = 0, active_ = 0;
    bool ready_ = false;
};

}  // namespace siamese
