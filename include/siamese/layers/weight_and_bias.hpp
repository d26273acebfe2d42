// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/param.hpp>
#include <siamese/random.hpp>
#include <siamese/tensor.hpp>

namespace siamese {

/// A layer's weight and bias with their gradients, as Linear, Conv2d and ConvReluPool hold them:
/// weight [OUT, ...], bias [OUT], both initialised like PyTorch's default (init_pytorch_default,
/// weight first, then bias, from the same rng), gradients zero.
template <class T>
struct WeightAndBias {
    Tensor<T> weight, bias, weight_grad, bias_grad;

    WeightAndBias() = default;
    WeightAndBias(const Shape& weight_shape, index_t fan_in, Rng& rng)
        : weight(weight_shape),
          bias(Shape{weight_shape[0]}),
          weight_grad(weight_shape),
          bias_grad(Shape{weight_shape[0]}) {
        init_pytorch_default(weight, bias, fan_in, rng);
    }

    /// The two parameters under the names checkpoints and optimisers know them by.
    [[nodiscard]] ParamList<T> params() { return {{"weight", &weight, &weight_grad}, {"bias", &bias, &bias_grad}}; }
};

}  // namespace siamese
