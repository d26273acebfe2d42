// SPDX-License-Identifier: MIT
#pragma once

// An optimizer chosen at run time (a command line's --optimizer): Sgd, Adam or AdamW behind the
// interface a training loop uses.

#include <siamese/optim/adam.hpp>
#include <siamese/optim/sgd.hpp>
#include <siamese/param.hpp>

#include <cstddef>
#include <utility>
#include <variant>
#include <vector>

namespace siamese {

/// Holds one of Sgd<T>, Adam<T> and AdamW<T>, built by the caller, and forwards the calls every
/// optimizer has: zero_grad, step, set_lr, the groups' rates. A std::variant rather than a base
/// class: one dispatch per call, none per parameter, and the optimizers stay plain types.
/// visit() reaches the optimizer itself (its state, for io::add_optimizer_state).
///
///   AnyOptimizer<float> opt = name == "sgd" ? AnyOptimizer<float>(Sgd<float>(params, {.lr = 0.01}))
///                                           : AnyOptimizer<float>(Adam<float>(params, {.lr = 1e-3}));
template <class T>
class AnyOptimizer {
public:
    using Variant = std::variant<Sgd<T>, Adam<T>, AdamW<T>>;

    explicit AnyOptimizer(Sgd<T> sgd) : optimizer_(std::move(sgd)) {}
    explicit AnyOptimizer(Adam<T> adam) : optimizer_(std::move(adam)) {}
    explicit AnyOptimizer(AdamW<T> adamw) : optimizer_(std::move(adamw)) {}

    void zero_grad() {
        visit([](auto& o) { o.zero_grad(); });
    }
    void step() {
        visit([](auto& o) { o.step(); });
    }
    /// The base learning rate (each group steps with lr * its lr_scale); throws as the
    /// optimizer's set_lr does, leaving the rate as it was.
    void set_lr(double lr) {
        visit([&](auto& o) { o.set_lr(lr); });
    }
    [[nodiscard]] double lr() const {
        return visit([](const auto& o) { return o.lr(); });
    }
    /// The rate group g steps with now.
    [[nodiscard]] double group_lr(std::size_t g) const {
        return visit([&](const auto& o) { return o.group_lr(g); });
    }
    /// The groups: their slice of params() and their settings.
    [[nodiscard]] const std::vector<ParamGroupSlot>& groups() const noexcept {
        return std::visit([](const auto& o) -> const std::vector<ParamGroupSlot>& { return o.groups(); }, optimizer_);
    }
    /// Changes group g's lr_scale; throws as the optimizer's set_lr_scale does.
    void set_lr_scale(std::size_t g, double lr_scale) {
        visit([&](auto& o) { o.set_lr_scale(g, lr_scale); });
    }
    [[nodiscard]] const ParamList<T>& params() const noexcept {
        return std::visit([](const auto& o) -> const ParamList<T>& { return o.params(); }, optimizer_);
    }

    /// f(optimizer) on the optimizer held, as its own type.
    template <class F>
    decltype(auto) visit(F&& f) {
        return std::visit(std::forward<F>(f), optimizer_);
    }
    template <class F>
    decltype(auto) visit(F&& f) const {
        return std::visit(std::forward<F>(f), optimizer_);
    }

    /// Whether the optimizer held is an O (Sgd<T>, Adam<T> or AdamW<T>).
    template <class O>
    [[nodiscard]] bool holds() const noexcept {
        return std::holds_alternative<O>(optimizer_);
    }

private:
    Variant optimizer_;
};

}  // namespace siamese
