// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/detail/check_scalar.hpp>
#include <siamese/detail/format_number.hpp>
#include <siamese/optim/grouped_optimizer.hpp>
#include <siamese/optim/param_group.hpp>
#include <siamese/param.hpp>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese {

/// Hyperparameters of Adam (PyTorch's names and defaults; no AMSGrad).
struct AdamOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;  ///< L2 penalty: adds weight_decay * p to the gradient
};

/// Hyperparameters of AdamW: Adam's, with decoupled weight decay defaulting to PyTorch's 0.01.
struct AdamWOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 1e-2;  ///< decoupled: p -= lr * weight_decay * p, outside the moments
};

namespace detail {

/// Adam and AdamW share everything but where weight decay acts.
template <class T, class Options, bool Decoupled>
class AdamBase : public GroupedOptimizer<T, Options> {
    using Base = GroupedOptimizer<T, Options>;
    using Base::groups_;
    using Base::name_;
    using Base::options_;
    using Base::params_;

public:
    AdamBase(std::vector<ParamGroup<T>> groups, Options options, const char* name)
        : Base(std::move(groups), options, name) {
        check_beta("beta1", options.beta1);
        check_beta("beta2", options.beta2);
        check_positive_normal<T>(name_, "eps", options.eps);
        check_non_negative(name_, "weight_decay", options.weight_decay);
        m_.reserve(params_.size());
        v_.reserve(params_.size());
        for (const auto& p : params_) {
            m_.emplace_back(p.value->shape());
            v_.emplace_back(p.value->shape());
        }
    }

    /// One update of every parameter, PyTorch's rule with t = step_count() after the increment:
    ///   Adam:  g = grad + wd * p                 AdamW: p = p * (1 - lr * wd),  g = grad
    ///   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
    ///   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    /// Checks first that every parameter still has the size the moments were built for
    /// (std::logic_error naming it otherwise, nothing updated, t unchanged): the optimizer refers
    /// to the model's tensors, so the model must stay where it was when the optimizer was built.
    void step() {
        check_params();
        ++step_;
        const double t = static_cast<double>(step_);
        const T b2 = static_cast<T>(options_.beta2);
        const T one_minus_b1 = static_cast<T>(1 - options_.beta1), one_minus_b2 = static_cast<T>(1 - options_.beta2);
        const T eps = static_cast<T>(options_.eps);
        const double correction1 = 1 - std::pow(options_.beta1, t);
        const T sqrt_correction2 = static_cast<T>(std::sqrt(1 - std::pow(options_.beta2, t)));
        for (const auto& group : groups_) {
            const double lr = options_.lr * group.lr_scale;
            const double wd = group.weight_decay.value_or(options_.weight_decay);
            const T step_size = static_cast<T>(lr / correction1);
            const T coupled_wd = Decoupled ? T(0) : static_cast<T>(wd);
            const T shrink = static_cast<T>(Decoupled ? 1 - lr * wd : 1.0);
            for (std::size_t k = group.begin; k < group.end; ++k) {
                T* p = params_[k].value->data();
                const T* grad = params_[k].grad->data();
                T* m = m_[k].data();
                T* v = v_[k].data();
                const index_t n = params_[k].value->size();
                for (index_t i = 0; i < n; ++i) {
                    if constexpr (Decoupled) p[i] *= shrink;
                    const T g = grad[i] + coupled_wd * p[i];
                    // m moves toward g by (1 - beta1), written as PyTorch's lerp.
                    m[i] += one_minus_b1 * (g - m[i]);
                    v[i] = b2 * v[i] + one_minus_b2 * g * g;
                    p[i] -= step_size * m[i] / (std::sqrt(v[i]) / sqrt_correction2 + eps);
                }
            }
        }
    }

    /// Sets every parameter's gradient to zero, after the same check as step().
    void zero_grad() {
        check_params();
        siamese::zero_grad(params_);
    }

    /// Steps taken, t in the bias corrections (for checkpoints: restore it with the moments).
    [[nodiscard]] std::int64_t step_count() const noexcept { return step_; }
    void set_step_count(std::int64_t t) {
        if (t < 0) throw std::invalid_argument(name_ + ": step count must be non-negative");
        step_ = t;
    }
    /// First moments m, matched to params() by position (for checkpoints).
    [[nodiscard]] std::vector<Tensor<T>>& first_moments() noexcept { return m_; }
    [[nodiscard]] const std::vector<Tensor<T>>& first_moments() const noexcept { return m_; }
    /// Second moments v, matched to params() by position (for checkpoints).
    [[nodiscard]] std::vector<Tensor<T>>& second_moments() noexcept { return v_; }
    [[nodiscard]] const std::vector<Tensor<T>>& second_moments() const noexcept { return v_; }

private:
    void check_beta(const char* option, double beta) const {
        if (!(beta >= 0 && beta < 1)) {
            throw std::invalid_argument(name_ + ": " + option + " must be in [0, 1), got " + format_number(beta));
        }
    }

    void check_params() const {
        for (std::size_t k = 0; k < params_.size(); ++k) {
            check_param_size(name_, params_[k], m_[k].size());
            check_param_size(name_, params_[k], v_[k].size());
        }
    }

    std::vector<Tensor<T>> m_, v_;
    std::int64_t step_ = 0;
};

}  // namespace detail

/// Adam (Kingma & Ba), PyTorch's update: weight_decay is an L2 penalty added to the gradient,
/// so it is rescaled by the adaptive denominator like the gradient itself. Moments are
/// allocated once, here. See detail::AdamBase::step for the rule.
/// The optimizer refers to the model's own tensors (Param pointers): it trains the model it was
/// built from, where it was then; a copy of the model is not the one it trains, and moving the
/// model or replacing a parameter with a tensor of another size makes step() throw (while the
/// moved-from model exists; once it is destroyed, using the optimizer is undefined behaviour).
template <class T>
class Adam : public detail::AdamBase<T, AdamOptions, false> {
    using Base = detail::AdamBase<T, AdamOptions, false>;

public:
    /// One group holding every parameter.
    explicit Adam(ParamList<T> params, AdamOptions options = {})
        : Base(detail::single_group("Adam", std::move(params)), options, "Adam") {}
    /// Parameter groups, each with its lr_scale and optional weight_decay (see ParamGroup).
    explicit Adam(std::vector<ParamGroup<T>> groups, AdamOptions options = {})
        : Base(std::move(groups), options, "Adam") {}
};

/// AdamW (Loshchilov & Hutter), PyTorch's update: weight decay is decoupled from the adaptive
/// step, p -= lr * weight_decay * p before the Adam update, so every weight decays at the same
/// relative rate whatever its gradient history. Like Adam, it refers to the model's own tensors.
template <class T>
class AdamW : public detail::AdamBase<T, AdamWOptions, true> {
    using Base = detail::AdamBase<T, AdamWOptions, true>;

public:
    /// One group holding every parameter.
    explicit AdamW(ParamList<T> params, AdamWOptions options = {})
        : Base(detail::single_group("AdamW", std::move(params)), options, "AdamW") {}
    /// Parameter groups, each with its lr_scale and optional weight_decay (see ParamGroup).
    explicit AdamW(std::vector<ParamGroup<T>> groups, AdamWOptions options = {})
        : Base(std::move(groups), options, "AdamW") {}
};

}  // namespace siamese
