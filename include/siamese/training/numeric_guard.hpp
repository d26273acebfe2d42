// SPDX-License-Identifier: MIT
#pragma once

// Catching a diverging run: a NaN or infinite loss or gradient stops training before the
// optimizer writes it into the weights, with a message naming the step and where the bad value
// first appeared (the input, a backbone layer, the head, or a parameter's gradient).

#include <siamese/detail/format_number.hpp>
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

/// Runs the model's backbone on `images` (any batch) and says where a non-finite value first
/// appears: "the input images", "the output of backbone layer 3 (Conv2d(...))", or an empty
/// string when everything is finite. A backbone with forward_inspect (Sequential, SeedCnn) is
/// examined layer by layer.
template <class Model>
[[nodiscard]] std::string locate_non_finite_backbone(Model& model, const Tensor<typename Model::value_type>& images) {
    using T = typename Model::value_type;
    if (!all_finite(images)) return "the input images";
    std::string where;
    auto& backbone = model.backbone();
    if constexpr (detail::Inspectable<std::remove_cvref_t<decltype(backbone)>>) {
        backbone.forward_inspect(images, [&](std::size_t index, const std::string& name, const Tensor<T>& out) {
            if (where.empty() && !all_finite(out)) {
                where = "the output of backbone layer " + std::to_string(index) + " (" + name + ")";
            }
        });
    } else if (!all_finite(backbone.forward(images))) {
        where = "the output of the backbone (" + backbone.name() + ")";
    }
    return where;
}

/// Runs the model forward on `pairs` ([2B, C, H, W], left images then right ones) and says where
/// a non-finite value first appears: as locate_non_finite_backbone, then "the head's logits".
template <class Model>
[[nodiscard]] std::string locate_non_finite_forward(Model& model, const Tensor<typename Model::value_type>& pairs) {
    std::string where = locate_non_finite_backbone(model, pairs);
    if (where.empty() && !all_finite(model.logits_stacked(pairs))) {
        where = "the head's logits (" + model.head().name() + ")";
    }
    return where;
}

namespace detail {

/// Throws the numeric_error of a failed step check: `problem` says what was found, `locate()`
/// where in the forward pass the first non-finite value appears (after the weights are looked at).
template <class T, class Locate>
[[noreturn]] void stop_training(const std::string& problem, const std::optional<std::string>& bad_gradient,
                                const ParamList<T>& params, const std::string& step, Locate&& locate) {
    std::string where;
    if (const auto name = first_non_finite_value(params)) {
        where = "the parameter " + *name + " itself";
    } else {
        where = locate();
    }
    if (where.empty()) {
        where = bad_gradient ? "the gradient of " + *bad_gradient
                             : std::string("the loss (the forward pass is finite: check the targets)");
    }
    throw numeric_error("training stopped at " + step + ": " + problem + "; the first non-finite value is in " + where +
                        ". The weights were not updated; a smaller learning rate or normalised inputs usually help");
}

/// Throws the numeric_error of a failed update check (see check_update) when `where` names a
/// non-finite value.
inline void stop_after_update(const std::string& where, const std::string& step) {
    if (where.empty()) return;
    throw numeric_error("training stopped after " + step + ": its update left a non-finite value in " + where +
                        ". Nothing was saved from that update; a smaller learning rate or normalised inputs "
                        "usually help");
}

inline std::string loss_problem(double loss) {
    return std::isfinite(loss) ? std::string("a gradient is not finite") : "the loss is " + std::to_string(loss);
}

}  // namespace detail

/// Checks a training step on stacked pairs (a pair head's loss, e.g. BCE on logits_stacked)
/// after backward() and before the optimizer's step(): the loss and every gradient must be
/// finite. Otherwise throws numeric_error naming `step` (e.g. "epoch 2, batch 317") and where the
/// problem first appeared, looking in order at the weights, the forward pass (input, each
/// backbone layer, the head) and the gradients. The weights are still those of the last good
/// step, so the last checkpoint saved stays valid.
template <class Model>
void check_step(Model& model, const Tensor<typename Model::value_type>& pairs, double loss,
                const ParamList<typename Model::value_type>& params, const std::string& step) {
    const auto bad_gradient = first_non_finite_gradient(params);
    if (std::isfinite(loss) && !bad_gradient) return;
    detail::stop_training(detail::loss_problem(loss), bad_gradient, params, step,
                          [&] { return locate_non_finite_forward(model, pairs); });
}

/// check_step for a loss on embeddings (contrastive, triplet, or a head applied to pairs of
/// the batch's embeddings): `images` is the batch the backbone embedded, any number of them, and
/// `embeddings` its output. The embeddings must be finite too: a loss can hide non-finite ones
/// (a margin loss that skips NaN distances reports 0 with zero gradients). The forward pass is
/// examined up to the backbone's output; pair heads are not run on the batch.
template <class Model>
void check_embedding_step(Model& model, const Tensor<typename Model::value_type>& images,
                          const Tensor<typename Model::value_type>& embeddings, double loss,
                          const ParamList<typename Model::value_type>& params, const std::string& step) {
    const auto bad_gradient = first_non_finite_gradient(params);
    const bool embeddings_finite = all_finite(embeddings);
    if (std::isfinite(loss) && !bad_gradient && embeddings_finite) return;
    const std::string problem = embeddings_finite || !std::isfinite(loss) || bad_gradient
                                    ? detail::loss_problem(loss)
                                    : "the embeddings are not finite (the loss, " +
                                          siamese::detail::format_number(loss) + ", does not show it)";
    detail::stop_training(problem, bad_gradient, params, step,
                          [&] { return locate_non_finite_backbone(model, images); });
}

/// After the optimizer's step, before its weights are saved or used. The step checks above see
/// an update only through the next batch, so a run's last update, and any saved between two
/// steps, is checked here: every parameter must be finite, and so must the forward pass on
/// `pairs` (stacked pairs, e.g. the batch just trained on), head included. Otherwise throws
/// numeric_error naming `step` (e.g. "epoch 5, batch 1000") and the first non-finite value.
template <class Model>
void check_update(Model& model, const Tensor<typename Model::value_type>& pairs,
                  const ParamList<typename Model::value_type>& params, const std::string& step) {
    const auto bad_value = first_non_finite_value(params);
    detail::stop_after_update(bad_value ? "the parameter " + *bad_value : locate_non_finite_forward(model, pairs),
                              step);
}

/// check_update for a model trained on embeddings: the forward pass on `images` (any batch) is
/// examined up to the backbone's output.
template <class Model>
void check_embedding_update(Model& model, const Tensor<typename Model::value_type>& images,
                            const ParamList<typename Model::value_type>& params, const std::string& step) {
    const auto bad_value = first_non_finite_value(params);
    detail::stop_after_update(bad_value ? "the parameter " + *bad_value : locate_non_finite_backbone(model, images),
                              step);
}

}  // namespace siamese::training
