// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/kernels/conv_relu_pool.hpp>
#include <siamese/layers/conv2d.hpp>
#include <siamese/layers/layer.hpp>
#include <siamese/layers/weight_and_bias.hpp>
#include <siamese/random.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese {

/// Conv2d -> ReLU -> MaxPool2d(2) in one layer: [N, C, H, W] -> [N, OC, OH / 2, OW / 2], with
/// OH = (H + 2p - k) / s + 1 (a last odd conv row or column is dropped, as MaxPool2d(2) does).
/// Computes what Sequential<Conv2d, ReLU, MaxPool2d> computes with the same weights (up to the
/// order of float sums; a NaN in a window gives NaN, as there), without materialising the conv
/// and ReLU outputs: the pool runs in the conv kernel's registers.
/// Weights, initialisation (same rng draws) and parameter names ("weight", "bias") are Conv2d's.
/// Caches the input (zero-padded, NHWC order, for the weight gradient) and one byte per output:
/// which pixel of its 2x2 window won, or that ReLU cut it.
/// set_channels_last() switches input and/or output to [N, H, W, C] order, for chaining two
/// fused layers without transposes (SeedCnn does).
template <class T = float>
class ConvReluPool {
public:
    using value_type = T;

    /// Weights [OC, C, k, k] and bias [OC], initialised like PyTorch's Conv2d from `rng`.
    ConvReluPool(index_t in_channels, index_t out_channels, index_t kernel_size, Rng& rng, Conv2dOptions options = {})
        : in_channels_(in_channels),
          out_channels_(out_channels),
          kernel_(kernel_size),
          options_(options),
          parameters_(conv2d_parameters<T>("ConvReluPool", in_channels, out_channels, kernel_size, options, rng)) {}

    [[nodiscard]] std::string name() const {
        return "ConvReluPool(" + conv2d_name(in_channels_, out_channels_, kernel_, options_) +
               ", ReLU, MaxPool2d(kernel_size=2, stride=2))";
    }

    [[nodiscard]] Shape output_shape(const Shape& in) const {
        // The conv output must hold at least one 2x2 window.
        const index_t min_side = kernel_ + options_.stride - 2 * options_.padding;
        const bool cl = format_.input_channels_last;
        const index_t C = in.rank() == 4 ? in[cl ? 3 : 1] : 0, H = in.rank() == 4 ? in[cl ? 1 : 2] : 0;
        const index_t W = in.rank() == 4 ? in[cl ? 2 : 3] : 0;
        if (in.rank() != 4 || C != in_channels_ || H < min_side || W < min_side || H < 1 || W < 1) {
            const std::string c = std::to_string(in_channels_);
            throw detail::bad_input(name(),
                                    (cl ? "[N, H, W, " + c + "]" : "[N, " + c + ", H, W]") +
                                        " with H, W >= " + std::to_string(std::max<index_t>(min_side, 1)),
                                    in);
        }
        const auto g = geometry(in);
        const index_t PH = kernels::pooled_height(g), PW = kernels::pooled_width(g);
        return format_.output_channels_last ? Shape{in[0], PH, PW, out_channels_} : Shape{in[0], out_channels_, PH, PW};
    }

    const Tensor<T>& forward(const Tensor<T>& x) {
        detail::check_not_own_output(*this, x, output_);
        const Shape out = output_shape(x.shape());
        forward_done_ = false;  // until every cache holds this pass (layer.hpp: a failed forward leaves none)
        output_.resize(out);
        const auto g = geometry(x.shape());
        const index_t N = x.dim(0);
        input_shape_ = x.shape();
        code_.resize(static_cast<std::size_t>(output_.size()));
        // A channels-last input is its own cache: keep a reference (the caller keeps it alive).
        borrowed_input_ = format_.input_channels_last ? &x : nullptr;
        if (!borrowed_input_.get()) cache_.resize(Shape{N * kernels::conv_relu_pool_cache_size(g)});
        reserve(g);
        kernels::conv_relu_pool_forward(g, N, x.data(), parameters_.weight.data(), parameters_.bias.data(),
                                        output_.data(), code_.data(), cache_.data(), workspace_.data(), table_.data(),
                                        format_);
        forward_done_ = true;
        return output_;
    }

    const Tensor<T>& backward(const Tensor<T>& grad_out) {
        detail::check_backward(*this, forward_done_, output_.shape(), grad_out.shape());
        const auto g = geometry(input_shape_);
        reserve(g);
        T* dx = nullptr;
        if (input_grad_) {
            grad_input_.resize(input_shape_);
            dx = grad_input_.data();
        } else {
            grad_input_.resize(Shape{});
        }
        if (format_.input_channels_last && !borrowed_input_.get()) {
            throw std::logic_error(name() +
                                   ": backward needs the channels-last input of the last forward, which a copied or "
                                   "moved layer does not keep (it was another object's tensor); run forward first");
        }
        const T* cache = borrowed_input_.get() ? borrowed_input_.get()->data() : cache_.data();
        kernels::conv_relu_pool_backward(g, input_shape_[0], grad_out.data(), code_.data(), cache,
                                         parameters_.weight.data(), parameters_.weight_grad.data(),
                                         parameters_.bias_grad.data(), dx, workspace_.data(), table_.data(), format_);
        return grad_input_;
    }

    [[nodiscard]] ParamList<T> params() { return parameters_.params(); }

    /// false: backward skips dL/dx (for a first layer whose input is data).
    void set_input_grad(bool enabled) noexcept { input_grad_ = enabled; }

    /// Channels-last input ([N, H, W, C], and dL/dx in that order) and/or output ([N, PH, PW, OC],
    /// and its gradient). With a channels-last input the layer keeps a reference to x instead of
    /// a copy: the caller must keep x alive and unchanged until backward (SeedCnn passes the
    /// previous fused layer's own output). A copy or move of the layer does not keep that
    /// reference: its backward needs a forward of its own first (or reborrow_input). A
    /// channels-last input needs padding 0.
    void set_channels_last(bool input, bool output) {
        if (input && options_.padding != 0) {
            throw shape_error(name() + ": a channels-last input needs padding 0");
        }
        format_ = {input, output};
        forward_done_ = false;
    }

    /// For a model that feeds `previous`'s output to this channels-last layer (SeedCnn), after the
    /// model was copied or moved: the input the last forward borrowed is `previous`'s output now
    /// (the copy of the tensor it borrowed, same values), so backward can run without a new
    /// forward. Does nothing unless that forward's input had the shape of `previous`'s output.
    void reborrow_input(const ConvReluPool& previous) noexcept {
        if (forward_done_ && format_.input_channels_last && previous.output_.shape() == input_shape_) {
            borrowed_input_ = &previous.output_;
        }
    }

    [[nodiscard]] Tensor<T>& weight() noexcept { return parameters_.weight; }
    [[nodiscard]] Tensor<T>& bias() noexcept { return parameters_.bias; }
    [[nodiscard]] const Tensor<T>& weight() const noexcept { return parameters_.weight; }
    [[nodiscard]] const Tensor<T>& bias() const noexcept { return parameters_.bias; }

private:
    // The input a channels-last forward borrowed instead of caching a copy. It belongs to someone
    // else (in SeedCnn, conv1 of the same model), so a copy or a move of the layer does not carry
    // it, and a move takes it from the source too: either would otherwise read another object's
    // buffers (changed by its next forward, or freed). Everything else is copied as usual.
    class BorrowedInput {
    public:
        BorrowedInput() = default;
        BorrowedInput(const BorrowedInput&) noexcept {}
        BorrowedInput(BorrowedInput&& other) noexcept { other.tensor_ = nullptr; }
        BorrowedInput& operator=(const BorrowedInput&) noexcept {
            tensor_ = nullptr;
            return *this;
        }
        BorrowedInput& operator=(BorrowedInput&& other) noexcept {
            tensor_ = nullptr;
            other.tensor_ = nullptr;
            return *this;
        }
        ~BorrowedInput() = default;
        BorrowedInput& operator=(const Tensor<T>* tensor) noexcept {
            tensor_ = tensor;
            return *this;
        }
        [[nodiscard]] const Tensor<T>* get() const noexcept { return tensor_; }

    private:
        const Tensor<T>* tensor_ = nullptr;
    };

    [[nodiscard]] kernels::Conv2dGeometry geometry(const Shape& in) const noexcept {
        if (format_.input_channels_last) {
            return {in[3], in[1], in[2], out_channels_, kernel_, kernel_, options_.stride, options_.padding};
        }
        return {in[1], in[2], in[3], out_channels_, kernel_, kernel_, options_.stride, options_.padding};
    }

    // Grows the workspace for this geometry and the current thread count (never shrinks).
    void reserve(const kernels::Conv2dGeometry& g) {
        workspace_.resize(Shape{kernels::conv_relu_pool_workspace_size<T>(g, num_threads())});
        const auto table = static_cast<std::size_t>(kernels::conv_relu_pool_table_size(g));
        if (table_.size() < table) table_.resize(table);
    }

    index_t in_channels_, out_channels_, kernel_;
    Conv2dOptions options_;
    WeightAndBias<T> parameters_;
    Tensor<T> output_, grad_input_, cache_, workspace_;
    Shape input_shape_;
    BorrowedInput borrowed_input_;  // the input, when channels-last (then cache_ is unused)
    std::vector<std::uint8_t> code_;
    std::vector<index_t> table_;
    kernels::ConvPoolFormat format_;
    bool forward_done_ = false;
    bool input_grad_ = true;
};

}  // namespace siamese
