// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/detail/check_scalar.hpp>
#include <siamese/detail/format_number.hpp>
#include <siamese/errors.hpp>
#include <siamese/metrics/distance.hpp>
#include <siamese/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <stdexcept>
#include <string>

namespace siamese {

/// Hyperparameters of ContrastiveLoss.
struct ContrastiveOptions {
    double margin = 1.0;  ///< different-class pairs closer than this are pushed apart
    double eps = 1e-12;   ///< smoothing of the distance at zero (metrics::EuclideanDistance)
};

/// Contrastive loss (Hadsell, Chopra & LeCun 2006) on the Euclidean distance d of embedding
/// pairs, averaged over the B pairs:
///   L = (1/B) sum_i [ y_i d_i^2 + (1 - y_i) max(0, m - d_i)^2 ]
/// Labels follow the library: y = 1 for a same-class pair (pulled together), 0 for a different
/// one (pushed beyond the margin m); values in between weight both terms. The paper writes
/// Y = 0 for similar pairs and halves both terms; we keep the library's label and drop the 1/2,
/// which only doubles the loss and its gradient (halve the learning rate to compare).
///
/// At d = 0 the gradient of d is undefined. The same-class term uses the squared distance
/// ||a - b||^2, differentiable everywhere; the hinge uses d = sqrt(||a - b||^2 + eps), whose
/// gradient is 0 at a = b (two identical embeddings of different classes get no push: no
/// direction is preferred).
///
/// Works on left and right batches [B, D], or on one stacked batch [2B, D] (left rows, then
/// right rows) as Siamese::embed returns it for PairBatch images; the gradient is always the
/// stacked [2B, D], ready for Siamese::backward_embeddings. Caches the distances.
template <class T = float>
class ContrastiveLoss {
public:
    explicit ContrastiveLoss(ContrastiveOptions options = {}) : options_(checked(options)), distance_(options.eps) {}

    [[nodiscard]] std::string name() const { return name_; }

    /// e_left: [B, D], e_right: [B, D], labels: B values in [0, 1] (1 = same)  ->  mean loss.
    /// Two distinct tensors: one passed twice throws std::invalid_argument (see below).
    T forward(const Tensor<T>& e_left, const Tensor<T>& e_right, std::span<const T> labels) {
        // Siamese::embed returns its one buffer: embed(left) then embed(right) hands the right
        // embeddings in twice, and every distance would be 0 without a word.
        if (&e_left == &e_right) {
            throw std::invalid_argument(std::string(name_) +
                                        ": e_left and e_right are one tensor, so every distance is 0 (two calls of "
                                        "Siamese::embed return the same buffer): embed the stacked pairs once and "
                                        "call forward_stacked, or copy the left embeddings first");
        }
        metrics::detail::check_pair(name_, e_left.shape(), e_right.shape());
        check_labels(labels, e_left.dim(0));
        return forward_impl(e_left.view(), e_right.view(), labels);
    }
    T forward(const Tensor<T>& e_left, const Tensor<T>& e_right, const Tensor<T>& labels) {
        return forward(e_left, e_right, labels.span());
    }

    /// embeddings: [2B, D], B left rows then B right rows; labels: B values in [0, 1]  ->  mean loss.
    T forward_stacked(const Tensor<T>& embeddings, std::span<const T> labels) {
        metrics::detail::check_stacked(name_, embeddings.shape());
        const index_t b = embeddings.dim(0) / 2, d = embeddings.dim(1);
        check_labels(labels, b);
        return forward_impl(metrics::detail::rows(embeddings.data(), 0, b, d),
                            metrics::detail::rows(embeddings.data(), b, b, d), labels);
    }
    T forward_stacked(const Tensor<T>& embeddings, const Tensor<T>& labels) {
        return forward_stacked(embeddings, labels.span());
    }

    /// dL/d(embeddings) of the last forward: [2B, D], rows 0..B-1 for the left embeddings,
    /// rows B..2B-1 for the right ones.
    const Tensor<T>& backward() {
        if (!ready_) throw std::logic_error(name() + ": backward called before forward");
        return distance_.backward(grad_d_);
    }

    /// dL/de_left of the last backward: [B, D].
    [[nodiscard]] TensorView<const T> grad_left() const noexcept { return distance_.grad_left(); }
    /// dL/de_right of the last backward: [B, D].
    [[nodiscard]] TensorView<const T> grad_right() const noexcept { return distance_.grad_right(); }
    /// Euclidean distances of the last forward: [B] (smoothed by eps).
    [[nodiscard]] const Tensor<T>& distances() const noexcept { return distance_.distance(); }
    [[nodiscard]] const ContrastiveOptions& options() const noexcept { return options_; }

private:
    // Runs before distance_ is built, so that a bad eps is reported as ContrastiveLoss's.
    static const ContrastiveOptions& checked(const ContrastiveOptions& options) {
        if (!(options.margin > 0) || !std::isfinite(options.margin)) {
            throw std::invalid_argument(std::string(name_) + ": margin must be positive and finite, got " +
                                        detail::format_number(options.margin));
        }
        // forward uses the margin as a T: it must still be finite and positive there.
        siamese::detail::check_margin<T>(name_, options.margin, true);
        siamese::detail::check_positive_normal<T>(name_, "eps", options.eps);
        return options;
    }

    void check_labels(std::span<const T> labels, index_t b) const {
        if (static_cast<index_t>(labels.size()) != b) {
            throw shape_error(name() + ": " + std::to_string(labels.size()) + " labels for " + std::to_string(b) +
                              " pairs");
        }
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (!(labels[i] >= T(0) && labels[i] <= T(1))) {
                throw std::invalid_argument(name() + ": label " + std::to_string(i) + " is " +
                                            detail::format_number(labels[i]) +
                                            ", expected a value in [0, 1] (1 = same)");
            }
        }
    }

    T forward_impl(TensorView<const T> left, TensorView<const T> right, std::span<const T> labels) {
        ready_ = false;  // until grad_d_ matches the distances below (a std::bad_alloc between them)
        const Tensor<T>& d = distance_.forward_views(left, right);
        const Tensor<T>& s = distance_.squared();
        const index_t b = d.size();
        grad_d_.resize(Shape{b});
        const T m = static_cast<T>(options_.margin);
        const T inv_b = T(1) / static_cast<T>(b);
        double total = 0;  // in double: a batch mean should not depend on summation luck
        for (index_t i = 0; i < b; ++i) {
            const T y = labels[static_cast<std::size_t>(i)];
            const T gap = std::max(m - d[i], T(0));
            total += static_cast<double>(y * s[i] + (T(1) - y) * gap * gap);
            // d(d^2)/dd = 2d routes through (a - b)/d to exactly 2(a - b), the gradient of s.
            grad_d_[i] = (T(2) * y * d[i] - T(2) * (T(1) - y) * gap) * inv_b;
        }
        ready_ = true;
        return static_cast<T>(total / static_cast<double>(b));
    }

    static constexpr const char* name_ = "ContrastiveLoss";
    ContrastiveOptions options_;
    metrics::EuclideanDistance<T> distance_;
    Tensor<T> grad_d_;
    bool ready_ = false;
};

}  // namespace siamese
