// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/param.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace siamese {

/// Hyperparameters of Sgd (PyTorch's names and defaults, no dampening or Nesterov).
struct SgdOptions {
    double lr = 0.01;
    double momentum = 0.0;
    double weight_decay = 0.0;
};

/// Stochastic gradient descent with momentum, PyTorch's update rule:
///   g = grad + weight_decay * p;   v = momentum * v + g;   p -= lr * v
/// (v starts at 0, so the first step is v = g). Velocities are allocated once, here.
template <class T>
class Sgd {
public:
    Sgd(ParamList<T> params, SgdOptions options) : params_(std::move(params)), options_(options) {
        if (!(options.lr >= 0) || !(options.momentum >= 0) || !(options.weight_decay >= 0)) {
            throw std::invalid_argument("Sgd: lr, momentum and weight_decay must be non-negative");
        }
        velocity_.reserve(params_.size());
        for (const auto& p : params_) velocity_.emplace_back(p.value->shape());
    }

    void step() noexcept {
        const T lr = static_cast<T>(options_.lr), mu = static_cast<T>(options_.momentum);
        const T wd = static_cast<T>(options_.weight_decay);
        for (std::size_t k = 0; k < params_.size(); ++k) {
            T* p = params_[k].value->data();
            const T* g = params_[k].grad->data();
            T* v = velocity_[k].data();
            const index_t n = params_[k].value->size();
            for (index_t i = 0; i < n; ++i) {
                v[i] = mu * v[i] + g[i] + wd * p[i];
                p[i] -= lr * v[i];
            }
        }
    }

    void zero_grad() noexcept { siamese::zero_grad(params_); }

    [[nodiscard]] const SgdOptions& options() const noexcept { return options_; }
    void set_lr(double lr) noexcept { options_.lr = lr; }
    [[nodiscard]] const ParamList<T>& params() const noexcept { return params_; }

    /// Momentum buffers, matched to params() by position (for checkpoints).
    [[nodiscard]] std::vector<Tensor<T>>& velocity() noexcept { return velocity_; }

private:
    ParamList<T> params_;
    SgdOptions options_;
    std::vector<Tensor<T>> velocity_;
};

}  // namespace siamese
