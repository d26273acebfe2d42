// SPDX-License-Identifier: MIT
#pragma once

// Catching a diverging run: a NaN or infinite loss or gradient stops training before the
// optimizer writes it into the weights, with a message naming the step and where the bad value
// first appeared (the input, a backbone layer, the head, or a parameter's gradient).

#include <siamese/errors.hpp>
#include <siamese/param.hpp>
#include <siamese/tensor.hpp>

#include <cmath>
#include <optional>
#include <string>
#include <type_traits>

namespace siamese::training {

namespace detail {

template <class T>
struct IgnoreOutput {
    void operator()(std::size_t, const std::string&, const Tensor<T>&) const noexcept {}
};

/// A backbone that can show each layer's output on the way (Sequential, SeedCnn).
template <class B>
concept Inspectable = requires(B& b, const Tensor<typename B::value_type>& x) {
    b.forward_inspect(x, IgnoreOutput<typename B::value_type>{});
};

}  // namespace detail

/// True when every element is finite (no NaN, no infinity).
template <class T>
[[nodiscard]] bool all_finite(const Tensor<T>& t) noexcept {
    for (const T v : t) {
        if (!std::isfinite(v)) return false;
    }
    return true;
}

/// The name of the first parameter, in model order, whose gradient is not finite.
template <class T>
[[nodiscard]] std::optional<std::string> first_non_finite_gradient(const ParamList<T>& params) {
    for (const auto& p : params) {
        if (!all_finite(*p.grad)) return p.name;
    }
    return std::nullopt;
}

/// The name of the first parameter, in model order, whose value is not finite.
template <class T>
[[nodiscard]] std::optional<std::string> first_non_finite_value(const ParamList<T>& params) {
    for (const auto& p : params) {
        if (!all_finite(*p.value)) return p.name;
    }
    return std::nullopt;
}

/// Runs the model forward on `pairs` ([2B, C, H, W], left images then right ones) and says where
/// a non-finite value first appears: "the input images", "the output of backbone layer 3
/// (Conv2d(...))", "the head's logits", or an empty string when everything is finite. A
/// backbone with forward_inspect (Sequential) is examined layer by layer.
template <class Model>
[[nodiscard]] std::string locate_non_finite_forward(Model& model, const Tensor<typename Model::value_type>& pairs) {
    using T = typename Model::value_type;
    if (!all_finite(pairs)) return "the input images";
    std::string where;
    auto& backbone = model.backbone();
    if constexpr (detail::Inspectable<std::remove_cvref_t<decltype(backbone)>>) {
        backbone.forward_inspect(pairs, [&](std::size_t index, const std::string& name, const Tensor<T>& out) {
            if (where.empty() && !all_finite(out)) {
                where = "the output of backbone layer " + std::to_string(index) + " (" + name + ")";
            }
        });
    } else if (!all_finite(backbone.forward(pairs))) {
        where = "the output of the backbone (" + backbone.name() + ")";
    }
    if (!where.empty()) return where;
    if (!all_finite(model.logits_stacked(pairs))) return "the head's logits (" + model.head().name() + ")";
    return where;
}

/// Checks a training step after backward() and before the optimizer's step(): the loss and
/// every gradient must be finite. Otherwise throws numeric_error naming `step` (e.g. "epoch 2,
/// batch 317") and where the problem first appeared, looking in order at the weights, the forward
/// pass (input, each backbone layer, the head) and the gradients. The weights are still those of
/// the last good step, so the last checkpoint saved stays valid.
template <class Model>
void check_step(Model& model, const Tensor<typename Model::value_type>& pairs, double loss,
                const ParamList<typename Model::value_type>& params, const std::string& step) {
    const auto bad_gradient = first_non_finite_gradient(params);
    if (std::isfinite(loss) && !bad_gradient) return;

    std::string where;
    if (const auto name = first_non_finite_value(params)) {
        where = "the parameter " + *name + " itself";
    } else {
        where = locate_non_finite_forward(model, pairs);
    }
    if (where.empty()) {
        where = bad_gradient ? "the gradient of " + *bad_gradient
                             : std::string("the loss (the forward pass is finite: check the targets)");
    }
    throw numeric_error(
        "training stopped at " + step + ": " +
        (std::isfinite(loss) ? std::string("a gradient is not finite") : "the loss is " + std::to_string(loss)) +
        "; the first non-finite value is in " + where +
        ". The weights were not updated; a smaller learning rate or normalised inputs usually help");
}

}  // namespace siamese::training
