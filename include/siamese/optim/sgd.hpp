// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/optim/grouped_optimizer.hpp>
#include <siamese/optim/param_group.hpp>
#include <siamese/param.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace siamese {

/// Hyperparameters of Sgd: PyTorch's names and update, no dampening or Nesterov. The lr default
/// of 0.01 is ours (PyTorch 1.13 has none); the tutorial trains with 0.001.
struct SgdOptions {
    double lr = 0.01;
    double momentum = 0.0;
    double weight_decay = 0.0;
};

/// Stochastic gradient descent with momentum, PyTorch's update rule:
///   g = grad + weight_decay * p;   v = momentum * v + g;   p -= lr * v
/// (v starts at 0, so the first step is v = g). Velocities are allocated once, here.
/// The optimizer refers to the model's own tensors (Param pointers): it trains the model it was
/// built from, where it was then; a copy of the model is not the one it trains, and moving the
/// model or replacing a parameter with a tensor of another size makes step() throw (while the
/// moved-from model exists; once it is destroyed, using the optimizer is undefined behaviour).
/// With parameter groups, each group uses lr * lr_scale and its own weight_decay if it has one.
template <class T>
class Sgd : public detail::GroupedOptimizer<T, SgdOptions> {
    using Base = detail::GroupedOptimizer<T, SgdOptions>;
    using Base::groups_;
    using Base::options_;
    using Base::params_;

public:
    /// One group holding every parameter.
    explicit Sgd(ParamList<T> params, SgdOptions options = {})
        : Sgd(detail::single_group("Sgd", std::move(params)), options) {}

    /// Parameter groups, each with its lr_scale and optional weight_decay (see ParamGroup).
    /// Every option must be a finite number >= 0 (as in PyTorch, momentum may exceed 1), and
    /// every group must hold at least one parameter; otherwise std::invalid_argument.
    explicit Sgd(std::vector<ParamGroup<T>> groups, SgdOptions options = {}) : Base(std::move(groups), options, "Sgd") {
        detail::check_non_negative("Sgd", "momentum", options.momentum);
        detail::check_non_negative("Sgd", "weight_decay", options.weight_decay);
        velocity_.reserve(params_.size());
        for (const auto& p : params_) velocity_.emplace_back(p.value->shape());
    }

    /// One update of every parameter. Checks first that every parameter still has the size the
    /// velocities were built for (std::logic_error naming it otherwise, nothing updated): the
    /// optimizer refers to the model's tensors, so the model must stay where it was when the
    /// optimizer was built.
    void step() {
        check_params();
        const T mu = static_cast<T>(options_.momentum);
        for (const auto& group : groups_) {
            const T lr = static_cast<T>(options_.lr * group.lr_scale);
            const T wd = static_cast<T>(group.weight_decay.value_or(options_.weight_decay));
            for (std::size_t k = group.begin; k < group.end; ++k) {
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
    }

    /// Sets every parameter's gradient to zero, after the same check as step().
    void zero_grad() {
        check_params();
        siamese::zero_grad(params_);
    }

    /// Momentum buffers, matched to params() by position (for checkpoints).
    [[nodiscard]] std::vector<Tensor<T>>& velocity() noexcept { return velocity_; }
    [[nodiscard]] const std::vector<Tensor<T>>& velocity() const noexcept { return velocity_; }

private:
    void check_params() const {
        for (std::size_t k = 0; k < params_.size(); ++k)
            detail::check_param_size("Sgd", params_[k], velocity_[k].size());
    }

    std::vector<Tensor<T>> velocity_;
};

}  // namespace siamese
