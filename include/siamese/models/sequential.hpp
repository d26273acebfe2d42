// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/errors.hpp>
#include <siamese/layers/layer.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace siamese {

/// Layers applied one after another; itself a Layer. Forward is a fold over the tuple,
/// backward the same fold in reverse. Parameters are named "<index>.<name>", as in PyTorch.
template <class... Layers>
class Sequential {
    static_assert(sizeof...(Layers) >= 1, "Sequential needs at least one layer");
    static_assert((Layer<Layers> && ...), "Sequential<Layers...>: every layer must satisfy siamese::Layer");

    using First = std::tuple_element_t<0, std::tuple<Layers...>>;

public:
    using value_type = typename First::value_type;
    static_assert((std::is_same_v<typename Layers::value_type, value_type> && ...),
                  "Sequential<Layers...>: all layers must share one scalar type");

    explicit Sequential(Layers... layers) : layers_(std::move(layers)...) {}

    static constexpr std::size_t size() noexcept { return sizeof...(Layers); }

    /// The layer at position I (from 0), which is also its parameters' name prefix ("I.weight").
    template <std::size_t I>
    [[nodiscard]] auto& layer() noexcept {
        return std::get<I>(layers_);
    }
    template <std::size_t I>
    [[nodiscard]] const auto& layer() const noexcept {
        return std::get<I>(layers_);
    }

    [[nodiscard]] std::string name() const { return "Sequential(" + layer_names() + ")"; }
    /// The layers' names, comma-separated (for models that wrap a Sequential under their own name).
    [[nodiscard]] std::string layer_names() const {
        std::string s;
        std::apply([&](const auto&... l) { ((s += (s.empty() ? "" : ", ") + l.name()), ...); }, layers_);
        return s;
    }

    /// The shape the layers make of `in`; shape_error naming the first layer that refuses its
    /// input, by position and with the chain's input, then the layer's own message.
    [[nodiscard]] Shape output_shape(const Shape& in) const {
        Shape s = in;
        std::size_t index = 0;
        try {
            std::apply([&](const auto&... l) { ((s = l.output_shape(s), ++index), ...); }, layers_);
        } catch (const shape_error& e) {
            // The layer's message names the layer and the shape it got, not where it sits in
            // the chain nor the input that became that shape.
            throw shape_error("Sequential layer " + std::to_string(index) + " of " + std::to_string(size()) +
                              ", for input " + in.str() + ": " + e.what());
        }
        return s;
    }

    /// Checks the whole chain's shapes first, so that a refused input changes no layer; a layer
    /// that fails later (std::bad_alloc) leaves no pass, and backward throws rather than run the
    /// layers after it on the caches of the pass before.
    const Tensor<value_type>& forward(const Tensor<value_type>& x) {
        return run_layers(x, [](std::size_t, const auto&, const Tensor<value_type>&) {});
    }

    /// forward, calling inspect(index, layer name, output) after each layer: for diagnostics
    /// such as finding the first layer whose output is not finite.
    template <class Inspect>
    const Tensor<value_type>& forward_inspect(const Tensor<value_type>& x, Inspect&& inspect) {
        return run_layers(x, [&](std::size_t index, const auto& layer, const Tensor<value_type>& out) {
            inspect(index, layer.name(), out);
        });
    }

    const Tensor<value_type>& backward(const Tensor<value_type>& grad_out) {
        if (!forward_done_) {
            throw std::logic_error(name() + ": backward called before forward, or after a forward that threw");
        }
        return backward_from<sizeof...(Layers) - 1>(grad_out);
    }

    [[nodiscard]] ParamList<value_type> params() {
        ParamList<value_type> out;
        add_params(out, std::index_sequence_for<Layers...>{});
        return out;
    }

    /// Forwards to the first layer: false skips its dL/dx when the input is data.
    void set_input_grad(bool enabled) noexcept requires InputGradSwitch<First> {
        std::get<0>(layers_).set_input_grad(enabled);
    }

private:
    /// The forward pass, calling after_layer(index, layer, output) after each layer (forward's
    /// does nothing, and builds no layer names).
    template <class AfterLayer>
    const Tensor<value_type>& run_layers(const Tensor<value_type>& x, AfterLayer&& after_layer) {
        (void)output_shape(x.shape());
        forward_done_ = false;
        const Tensor<value_type>* current = &x;
        std::size_t index = 0;
        std::apply([&](auto&... l) { ((current = &l.forward(*current), after_layer(index++, l, *current)), ...); },
                   layers_);
        forward_done_ = true;
        return *current;
    }

    template <std::size_t I>
    const Tensor<value_type>& backward_from(const Tensor<value_type>& grad) {
        const Tensor<value_type>& g = std::get<I>(layers_).backward(grad);
        if constexpr (I == 0) {
            return g;
        } else {
            return backward_from<I - 1>(g);
        }
    }

    template <std::size_t... I>
    void add_params(ParamList<value_type>& out, std::index_sequence<I...>) {
        (append_params(out, std::get<I>(layers_).params(), std::to_string(I)), ...);
    }

    std::tuple<Layers...> layers_;
    bool forward_done_ = false;
};

}  // namespace siamese
