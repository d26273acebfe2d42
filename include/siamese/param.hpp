// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/tensor.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese {

/// A trainable tensor and its gradient, both owned by a layer. `name` is the dotted path
/// the model gives it ("0.weight", "backbone.3.bias", "head.weight").
/// The pointers stay valid as long as the layer is not moved. An optimizer built from a model's
/// params() keeps these pointers: it trains that model object, where it lives; a copy of the
/// model is not the one it trains, and a model moved afterwards leaves it pointing at the
/// moved-from (empty) tensors, which its step() reports as an error (and at freed memory once
/// the moved-from model is destroyed).
template <class T>
struct Param {
    std::string name;
    Tensor<T>* value = nullptr;
    Tensor<T>* grad = nullptr;
};

/// The parameters of a layer or model, in a fixed order (optimizers match state by position).
template <class T>
using ParamList = std::vector<Param<T>>;

/// Prefixes every parameter name with `prefix` + "." and appends them to `out`.
template <class T>
void append_params(ParamList<T>& out, ParamList<T> params, const std::string& prefix) {
    for (auto& p : params) {
        p.name = prefix.empty() ? p.name : prefix + "." + p.name;
        out.push_back(std::move(p));
    }
}

/// Throws std::invalid_argument naming `who` when two different tensors of `params` share a
/// name: a checkpoint keys each tensor by its name, so one would be saved over the other and
/// restored into both. Layers name theirs "weight" and "bias"; append_params gives each layer's
/// a prefix of its own.
template <class T>
void require_unique_names(const ParamList<T>& params, const std::string& who) {
    for (std::size_t i = 0; i < params.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (params[i].name == params[j].name && params[i].value != params[j].value) {
                throw std::invalid_argument(who + ": two parameters are named '" + params[i].name + "' (numbers " +
                                            std::to_string(j) + " and " + std::to_string(i) +
                                            "): a checkpoint keys tensors by name, so one would be saved over the "
                                            "other; prefix each layer's names (append_params)");
            }
        }
    }
}

/// Sets every gradient to zero (layers accumulate parameter gradients with +=).
template <class T>
void zero_grad(const ParamList<T>& params) noexcept {
    for (const auto& p : params) p.grad->zero();
}

/// Total number of trainable scalars.
template <class T>
[[nodiscard]] index_t count_parameters(const ParamList<T>& params) noexcept {
    index_t n = 0;
    for (const auto& p : params) n += p.value->size();
    return n;
}

}  // namespace siamese
