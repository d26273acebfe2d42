// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/kernels/linear.hpp>
#include <siamese/layers/layer.hpp>
#include <siamese/layers/weight_and_bias.hpp>
#include <siamese/parallel.hpp>
#include <siamese/random.hpp>

#include <algorithm>
#include <string>

namespace siamese {

/// Fully connected layer: [N, IN] -> [N, OUT], y = x W^T + b with W [OUT, IN].
/// Caches a copy of its input for the weight gradient. Its GEMMs' packing buffers live in a
/// workspace the layer owns, so a training step allocates nothing after the first.
template <class T = float>
class Linear {
public:
    using value_type = T;

    /// Weight [OUT, IN] and bias [OUT], initialised like PyTorch's default from `rng`.
    Linear(index_t in_features, index_t out_features, Rng& rng) : in_(in_features), out_(out_features) {
        if (in_features < 1 || out_features < 1) throw shape_error("Linear: invalid configuration " + name());
        parameters_ = WeightAndBias<T>(Shape{out_features, in_features}, in_features, rng);
    }

    [[nodiscard]] std::string name() const {
        return "Linear(" + std::to_string(in_) + ", " + std::to_string(out_) + ")";
    }

    [[nodiscard]] Shape output_shape(const Shape& in) const {
        if (in.rank() != 2 || in[1] != in_) {
            throw detail::bad_input(name(), "[N, " + std::to_string(in_) + "]", in);
        }
        return Shape{in[0], out_};
    }

    const Tensor<T>& forward(const Tensor<T>& x) {
        detail::check_not_own_output(*this, x, output_);
        const Shape out = output_shape(x.shape());
        forward_done_ = false;  // until every cache holds this pass (layer.hpp: a failed forward leaves none)
        output_.resize(out);
        // The cached copy, split by rows over the threads (1.3 MB for fc1 at batch 200: serial, it
        // would hold back the second thread).
        input_.resize(x.shape());
        parallel_for(x.dim(0), [&](index_t n) { std::copy_n(x.data() + n * in_, in_, input_.data() + n * in_); });
        reserve(x.dim(0));
        kernels::linear_forward(x.dim(0), in_, out_, x.data(), parameters_.weight.data(), parameters_.bias.data(),
                                output_.data(), workspace_.data());
        forward_done_ = true;
        return output_;
    }

    const Tensor<T>& backward(const Tensor<T>& grad_out) {
        detail::check_backward(*this, forward_done_, output_.shape(), grad_out.shape());
        const index_t N = input_.dim(0);
        reserve(N);
        kernels::linear_backward_weights(N, in_, out_, input_.data(), grad_out.data(), parameters_.weight_grad.data(),
                                         parameters_.bias_grad.data(), workspace_.data());
        if (!input_grad_) {
            grad_input_.resize(Shape{});
            return grad_input_;
        }
        grad_input_.resize(input_.shape());
        kernels::linear_backward_data(N, in_, out_, grad_out.data(), parameters_.weight.data(), grad_input_.data(),
                                      workspace_.data());
        return grad_input_;
    }

    [[nodiscard]] ParamList<T> params() { return parameters_.params(); }

    /// false: backward skips dL/dx (for a first layer whose input is data).
    void set_input_grad(bool enabled) noexcept { input_grad_ = enabled; }

    [[nodiscard]] index_t in_features() const noexcept { return in_; }
    [[nodiscard]] index_t out_features() const noexcept { return out_; }
    [[nodiscard]] Tensor<T>& weight() noexcept { return parameters_.weight; }
    [[nodiscard]] Tensor<T>& bias() noexcept { return parameters_.bias; }
    [[nodiscard]] const Tensor<T>& weight() const noexcept { return parameters_.weight; }
    [[nodiscard]] const Tensor<T>& bias() const noexcept { return parameters_.bias; }

private:
    // Grows the GEMM workspace for this batch and the current thread count (never shrinks).
    void reserve(index_t N) {
        workspace_.resize(Shape{kernels::linear_workspace_size<T>(N, in_, out_, num_threads())});
    }

    index_t in_, out_;
    WeightAndBias<T> parameters_;
    Tensor<T> input_, output_, grad_input_, workspace_;
    bool forward_done_ = false;
    bool input_grad_ = true;
};

}  // namespace siamese
