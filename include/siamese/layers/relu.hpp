// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/kernels/elementwise.hpp>
#include <siamese/layers/layer.hpp>

#include <string>

namespace siamese {

/// max(x, 0), on tensors of rank 1 to 4. Caches its output: the gradient passes where the output is positive.
template <class T = float>
class ReLU {
public:
    using value_type = T;

    [[nodiscard]] std::string name() const { return "ReLU"; }

    [[nodiscard]] Shape output_shape(const Shape& in) const {
        if (in.rank() < 1) throw detail::bad_input(name(), "a tensor of rank 1 to 4", in);
        return in;
    }

    const Tensor<T>& forward(const Tensor<T>& x) {
        detail::check_not_own_output(*this, x, output_);
        const Shape out = output_shape(x.shape());
        forward_done_ = false;  // until every cache holds this pass (layer.hpp: a failed forward leaves none)
        output_.resize(out);
        kernels::relu_forward(x.size(), x.data(), output_.data());
        forward_done_ = true;
        return output_;
    }

    const Tensor<T>& backward(const Tensor<T>& grad_out) {
        detail::check_backward(*this, forward_done_, output_.shape(), grad_out.shape());
        grad_input_.resize(output_.shape());
        kernels::relu_backward(output_.size(), output_.data(), grad_out.data(), grad_input_.data());
        return grad_input_;
    }

    [[nodiscard]] ParamList<T> params() { return {}; }

private:
    Tensor<T> output_, grad_input_;
    bool forward_done_ = false;
};

}  // namespace siamese
