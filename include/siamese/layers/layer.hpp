// SPDX-License-Identifier: MIT
#pragma once

// The layer contract. A layer is a small class, not a subclass of anything:
//
//   using value_type = T;                                   // float or double
//   std::string      name() const;                          // "Linear(1600, 120)", for messages
//   Shape            output_shape(const Shape& in) const;   // validates in; throws shape_error naming both shapes
//   const Tensor<T>& forward(const Tensor<T>& x);           // caches what backward needs
//   const Tensor<T>& backward(const Tensor<T>& grad_out);   // returns dL/dx; ADDS into parameter gradients
//   ParamList<T>     params();                              // empty for parameter-free layers
//
// A layer owns its output and input-gradient buffers and reuses them while the batch shape
// stays the same, so training allocates nothing after the first step. The returned references
// stay valid until the next forward/backward call on the same layer. Calling backward without
// a forward, or with a gradient whose shape differs from the last output, throws.
// A layer object is one place in a network: forward caches what the next backward needs, so a
// layer used at two places (one ReLU after two Linears) backpropagates through the last call
// only; give each place its own layer. A forward's input must not be the layer's own output
// (layer.forward(layer.forward(x))): forward refuses it. A forward that refuses its input
// changes nothing; one that fails later (std::bad_alloc) leaves no pass for backward, which
// then throws rather than mix the caches of two passes.
// Optionally, set_input_grad(false) tells a first layer that nobody needs dL/dx; its backward
// then only accumulates parameter gradients and returns an empty tensor.

#include <siamese/errors.hpp>
#include <siamese/param.hpp>
#include <siamese/tensor.hpp>

#include <concepts>
#include <stdexcept>
#include <string>

namespace siamese {

template <class L>
concept Layer = requires(L& layer, const L& const_layer, const Tensor<typename L::value_type>& t, const Shape& s) {
    typename L::value_type;
    { const_layer.name() } -> std::convertible_to<std::string>;
    { const_layer.output_shape(s) } -> std::same_as<Shape>;
    { layer.forward(t) } -> std::same_as<const Tensor<typename L::value_type>&>;
    { layer.backward(t) } -> std::same_as<const Tensor<typename L::value_type>&>;
    { layer.params() } -> std::same_as<ParamList<typename L::value_type>>;
};

/// Layers that can skip computing dL/dx when they come first.
template <class L>
concept InputGradSwitch = requires(L& layer) {
    layer.set_input_grad(false);
};

namespace detail {

/// The shape_error every layer throws on a bad input: names the layer, what it expects and what came.
[[nodiscard]] inline shape_error bad_input(const std::string& layer, const std::string& expected, const Shape& got) {
    return shape_error(layer + ": expected input " + expected + ", got " + got.str());
}

/// Refuses a forward whose input is the layer's own output buffer: the layer resizes and writes
/// that buffer while it reads the input, which gives wrong values or reads past the end.
template <class Layer, class T>
void check_not_own_output(const Layer& layer, const Tensor<T>& x, const Tensor<T>& output) {
    if (&x != &output) return;
    throw std::invalid_argument(layer.name() +
                                ": the input of forward is this layer's own output (layer.forward(layer.forward(x))): "
                                "it would be overwritten while it is read; pass a copy, or use a second layer");
}

/// Checks that backward follows a forward and gets a gradient shaped like that forward's output.
/// The layer's name (a heap string) is built only for the error: backward allocates nothing.
template <class Layer>
void check_backward(const Layer& layer, bool forward_done, const Shape& output, const Shape& grad) {
    if (forward_done && output == grad) return;
    if (!forward_done) throw std::logic_error(layer.name() + ": backward called before forward");
    throw shape_error(layer.name() + ": expected gradient of the output shape " + output.str() + ", got " + grad.str());
}

}  // namespace detail

}  // namespace siamese
