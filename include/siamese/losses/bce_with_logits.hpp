// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/detail/format_number.hpp>
#include <siamese/errors.hpp>
#include <siamese/kernels/elementwise.hpp>
#include <siamese/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>

namespace siamese {

/// Binary cross-entropy on logits, averaged over the batch: the sigmoid is fused into the loss
/// so it stays finite and exact for large finite |logit|:
///   loss_i = max(z, 0) - z t + log(1 + exp(-|z|)),   dloss_i/dz = (sigmoid(z) - t) / B.
/// An infinite logit gives the limit: loss 0 if the target is entirely on its side (z = +inf
/// with t = 1, z = -inf with t = 0), +inf otherwise; its gradient stays finite:
/// (1 - t) / B at +inf, -t / B at -inf.
/// Targets are in [0, 1]; for pairs, 1 = same class, 0 = different.
template <class T = float>
class BceWithLogits {
public:
    [[nodiscard]] std::string name() const { return "BceWithLogits"; }

    /// logits: [B, 1] or [B]; targets: B values  ->  mean loss. Caches what backward needs.
    T forward(const Tensor<T>& logits, std::span<const T> targets) {
        const index_t b = logits.size();
        const bool column = logits.rank() == 2 && logits.dim(1) == 1;
        if (!(column || logits.rank() == 1) || b == 0) {
            throw shape_error(name() + ": expected logits [B, 1] or [B] with B >= 1, got " + logits.shape().str());
        }
        if (static_cast<index_t>(targets.size()) != b) {
            throw shape_error(name() + ": " + std::to_string(targets.size()) + " targets for logits " +
                              logits.shape().str());
        }
        // Every target before anything is written: a forward that throws leaves the last one's
        // gradient whole.
        for (index_t i = 0; i < b; ++i) {
            const T t = targets[static_cast<std::size_t>(i)];
            if (!(t >= T(0) && t <= T(1))) {
                throw std::invalid_argument(name() + ": target " + std::to_string(i) + " is " +
                                            detail::format_number(t) + ", expected a value in [0, 1]");
            }
        }
        grad_.resize(logits.shape());
        double total = 0;  // summed in double: a batch mean should not depend on summation luck
        for (index_t i = 0; i < b; ++i) {
            const T z = logits[i];
            const T t = targets[static_cast<std::size_t>(i)];
            total += std::isinf(z) ? infinite_logit_loss(z, t)
                                   : std::max(z, T(0)) - z * t + std::log1p(std::exp(-std::abs(z)));
            grad_[i] = (kernels::sigmoid(z) - t) / static_cast<T>(b);
        }
        ready_ = true;
        return static_cast<T>(total / static_cast<double>(b));
    }

    T forward(const Tensor<T>& logits, const Tensor<T>& targets) { return forward(logits, targets.span()); }

    /// dL/dlogits of the last forward, shaped like its logits.
    const Tensor<T>& backward() const {
        if (!ready_) throw std::logic_error(name() + ": backward called before forward");
        return grad_;
    }

private:
    // The limit of t softplus(-z) + (1 - t) softplus(z) at z = +-inf: 0 when all the target's
    // weight is on z's side, +inf otherwise. The finite formula gives inf - inf or 0 * inf there,
    // NaN; keeping it for finite logits keeps their values bit for bit.
    static T infinite_logit_loss(T z, T t) noexcept {
        const T wrong_side = z > T(0) ? T(1) - t : t;
        return wrong_side > T(0) ? std::numeric_limits<T>::infinity() : T(0);
    }

    Tensor<T> grad_;
    bool ready_ = false;
};

}  // namespace siamese
