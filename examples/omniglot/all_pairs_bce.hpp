// SPDX-License-Identifier: MIT
#pragma once

// The example's loss for --batch all: the Siamese head's binary cross-entropy on every pair of a
// batch's embeddings.

#include "network.hpp"

#include <siamese/data/labelled_images.hpp>
#include <siamese/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace omniglot {

/// Binary cross-entropy of the Siamese head on every pair of a batch of embeddings: the pairs'
/// logits are the head's, z_ij = w . |e_i - e_j| + b (what Siamese::logits computes for one
/// pair), the target is 1 for two drawings of one character. Same-character pairs share half
/// the weight equally. The other half goes to the different-character pairs: equally when
/// focus = 0; otherwise each image spreads its share over its different-character pairs by
/// softmax(z / focus), so the pairs the head finds most alike, the ones that decide a one-shot
/// trial, weigh most (the weights are constants for the gradient). At the start every z is
/// about the same and the weighting is about uniform, so this cannot collapse onto a few
/// pairs the way keeping only the hardest ones does. backward() adds the head's gradients and
/// returns dL/de for Siamese::backward_embeddings: one backbone pass yields N (N - 1) / 2 pair
/// gradients.
class AllPairsBce {
public:
    explicit AllPairsBce(double focus = 0) : focus_(focus) {}

    /// embeddings: [N, D]; labels: [N]  ->  loss. Also the balanced pair accuracy (threshold 0)
    /// and the logits' spread.
    double forward(Model& model, const siamese::Tensor<T>& embeddings,
                   const std::vector<siamese::data::label_t>& labels) {
        const index_t n = embeddings.dim(0), d = embeddings.dim(1);
        const T* w = model.head().weight().data();
        const double b = model.head().bias()[0];
        const auto nn = static_cast<std::size_t>(n * n);
        z_.assign(nn, 0.0);
        weight_.assign(nn, 0.0);
        for (index_t i = 0; i < n; ++i) {
            const T* ei = embeddings.data() + i * d;
            for (index_t j = i + 1; j < n; ++j) {
                const T* ej = embeddings.data() + j * d;
                double z = b;
                for (index_t k = 0; k < d; ++k)
                    z += static_cast<double>(w[k]) * std::abs(static_cast<double>(ei[k]) - ej[k]);
                z_[static_cast<std::size_t>(i * n + j)] = z_[static_cast<std::size_t>(j * n + i)] = z;
            }
        }
        auto same = [&](index_t i, index_t j) {
            return labels[static_cast<std::size_t>(i)] == labels[static_cast<std::size_t>(j)];
        };
        double positives = 0, negatives = 0, right_p = 0, right_n = 0;
        spread_lo_ = 1e300;
        spread_hi_ = -1e300;
        for (index_t i = 0; i < n; ++i)
            for (index_t j = i + 1; j < n; ++j) {
                const double z = z_[static_cast<std::size_t>(i * n + j)];
                const bool s = same(i, j);
                (s ? positives : negatives) += 1;
                (s ? right_p : right_n) += (z > 0) == s;
                spread_lo_ = std::min(spread_lo_, z);
                spread_hi_ = std::max(spread_hi_, z);
            }
        if (positives == 0 || negatives == 0)
            throw std::invalid_argument("AllPairsBce: a batch needs same and different pairs");
        accuracy_ = 0.5 * (right_p / positives + right_n / negatives);
        // Pair weights, kept in the upper triangle.
        for (index_t i = 0; i < n; ++i)
            for (index_t j = i + 1; j < n; ++j)
                if (same(i, j) || focus_ <= 0)
                    weight_[static_cast<std::size_t>(i * n + j)] = 0.5 / (same(i, j) ? positives : negatives);
        if (focus_ > 0) {
            for (index_t i = 0; i < n; ++i) {
                double top = -1e300, sum = 0;
                for (index_t j = 0; j < n; ++j)
                    if (j != i && !same(i, j)) top = std::max(top, z_[static_cast<std::size_t>(i * n + j)]);
                for (index_t j = 0; j < n; ++j)
                    if (j != i && !same(i, j))
                        sum += std::exp((z_[static_cast<std::size_t>(i * n + j)] - top) / focus_);
                for (index_t j = 0; j < n; ++j) {
                    if (j == i || same(i, j)) continue;
                    const double p = std::exp((z_[static_cast<std::size_t>(i * n + j)] - top) / focus_) / sum;
                    weight_[static_cast<std::size_t>(std::min(i, j) * n + std::max(i, j))] +=
                        0.5 * p / static_cast<double>(n);
                }
            }
        }
        grad_z_.assign(nn, 0.0);
        double loss = 0;
        for (index_t i = 0; i < n; ++i) {
            for (index_t j = i + 1; j < n; ++j) {
                const auto at = static_cast<std::size_t>(i * n + j);
                const double z = z_[at], t = same(i, j) ? 1.0 : 0.0, weight = weight_[at];
                loss += weight * (std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::abs(z))));
                grad_z_[at] = weight * (1 / (1 + std::exp(-z)) - t);
            }
        }
        return loss;
    }

    /// Adds dL/dw, dL/db to the head's gradients; returns dL/de [N, D].
    const siamese::Tensor<T>& backward(Model& model, const siamese::Tensor<T>& embeddings) {
        const index_t n = embeddings.dim(0), d = embeddings.dim(1);
        const T* w = model.head().weight().data();
        auto head = model.head().params();  // weight, bias
        T* dw = head[0].grad->data();
        T* db = head[1].grad->data();
        grad_e_.resize(embeddings.shape());
        grad_e_.zero();
        dw_sum_.assign(static_cast<std::size_t>(d), 0.0);  // kept: no allocation per step
        double db_sum = 0;
        for (index_t i = 0; i < n; ++i) {
            const T* ei = embeddings.data() + i * d;
            T* gi = grad_e_.data() + i * d;
            for (index_t j = i + 1; j < n; ++j) {
                const double g = grad_z_[static_cast<std::size_t>(i * n + j)];
                const T* ej = embeddings.data() + j * d;
                T* gj = grad_e_.data() + j * d;
                db_sum += g;
                for (index_t k = 0; k < d; ++k) {
                    const double delta = static_cast<double>(ei[k]) - ej[k];
                    dw_sum_[static_cast<std::size_t>(k)] += g * std::abs(delta);
                    const double s = delta > 0 ? g * w[k] : (delta < 0 ? -g * w[k] : 0.0);
                    gi[k] += static_cast<T>(s);
                    gj[k] -= static_cast<T>(s);
                }
            }
        }
        for (index_t k = 0; k < d; ++k) dw[k] += static_cast<T>(dw_sum_[static_cast<std::size_t>(k)]);
        db[0] += static_cast<T>(db_sum);
        return grad_e_;
    }

    [[nodiscard]] double accuracy() const noexcept { return accuracy_; }
    [[nodiscard]] double spread() const noexcept { return spread_hi_ - spread_lo_; }

private:
    double focus_;
    std::vector<double> z_, weight_, grad_z_, dw_sum_;
    siamese::Tensor<T> grad_e_;
    double accuracy_ = 0, spread_lo_ = 0, spread_hi_ = 0;
};

}  // namespace omniglot
