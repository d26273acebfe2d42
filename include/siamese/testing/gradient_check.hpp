// SPDX-License-Identifier: MIT
#pragma once

// Finite-difference gradient checks, shipped so users can check their own layers.
//
// For a layer, the scalar checked is f(x, theta) = <forward(x), r> with a fixed random r, so a single
// backward(r) yields both df/dx and df/dtheta. Each analytic derivative is compared with the central
// difference (f(v + eps) - f(v - eps)) / 2 eps. Run it in double precision and keep inputs away from
// kinks (ReLU near 0, ties inside a max-pool window, equal embeddings in |e1 - e2|): a difference
// across a kink is not a derivative.

#include <siamese/layers/layer.hpp>
#include <siamese/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace siamese::testing {

struct GradientCheckOptions {
    double epsilon = 1e-5;          ///< step of the central difference
    double tolerance = 1e-6;        ///< largest accepted relative error
    /// Denominators below this count as this: a derivative near zero is compared absolutely, since
    /// a difference quotient of an O(1) function carries ~1e-16 / epsilon of rounding noise.
    double absolute_floor = 1e-5;
    /// An element that fails is measured again with steps epsilon/10, epsilon/100, ... this many
    /// times: a step that crossed a kink (a ReLU switching, a max-pool argmax moving) is no
    /// derivative, a smaller one avoids it. A wrong gradient fails at every step size.
    int step_reductions = 2;
    index_t max_checks_per_tensor = -1;  ///< < 0: every element; otherwise a seeded random sample
    std::uint64_t seed = 12345;     ///< for r and for the sample of elements
};

/// The outcome of a check: the worst element found, and how many were compared.
struct GradientCheckResult {
    double max_relative_error = 0;
    std::string worst;  ///< e.g. "input[17]" or "0.weight[3]"
    double analytic = 0, numeric = 0;
    index_t checked = 0;
    index_t smaller_steps = 0;  ///< elements that needed a smaller step (a kink within epsilon)
    double tolerance = 0;

    [[nodiscard]] bool ok() const noexcept { return checked > 0 && max_relative_error <= tolerance; }

    [[nodiscard]] std::string str() const {
        std::ostringstream os;
        os.precision(6);
        os << (ok() ? "gradient check passed" : "gradient check FAILED") << ": " << checked
           << " derivatives (" << smaller_steps << " with a smaller step), worst relative error "
           << max_relative_error << " at " << worst << " (analytic " << analytic << ", numeric " << numeric
           << ", tolerance " << tolerance << ")";
        return os.str();
    }

    void merge(const GradientCheckResult& other) {
        checked += other.checked;
        smaller_steps += other.smaller_steps;
        if (other.max_relative_error >= max_relative_error && other.checked > 0) {
            max_relative_error = other.max_relative_error;
            worst = other.worst;
            analytic = other.analytic;
            numeric = other.numeric;
        }
    }
};

/// Compares `analytic` (df/dv) with central differences of f() around the current value of `v`,
/// which is perturbed in place and restored. f re-evaluates the scalar from scratch.
template <class F>
[[nodiscard]] GradientCheckResult check_tensor_gradient(F&& f, Tensor<double>& v, const Tensor<double>& analytic,
                                                        const std::string& name,
                                                        const GradientCheckOptions& options = {}) {
    GradientCheckResult result;
    result.tolerance = options.tolerance;
    if (!(v.shape() == analytic.shape())) {
        throw shape_error("check_tensor_gradient: " + name + " is " + v.shape().str() + " but its gradient is " +
                          analytic.shape().str());
    }
    std::vector<index_t> indices;
    if (options.max_checks_per_tensor < 0 || options.max_checks_per_tensor >= v.size()) {
        for (index_t i = 0; i < v.size(); ++i) indices.push_back(i);
    } else {
        Rng rng(options.seed ^ static_cast<std::uint64_t>(v.size()));
        for (index_t k = 0; k < options.max_checks_per_tensor; ++k) indices.push_back(rng.uniform_int(v.size()));
    }
    for (index_t i : indices) {
        const double a = analytic[i];
        const double saved = v[i];
        double numeric = 0, rel = 0, step = options.epsilon;
        for (int attempt = 0; attempt <= options.step_reductions; ++attempt, step /= 10) {
            v[i] = saved + step;
            const double plus = f();
            v[i] = saved - step;
            const double minus = f();
            v[i] = saved;
            const double n = (plus - minus) / (2 * step);
            const double r = std::abs(a - n) / std::max({std::abs(a), std::abs(n), options.absolute_floor});
            if (attempt == 0 || r < rel) {
                numeric = n;
                rel = r;
            }
            if (rel <= options.tolerance) {
                if (attempt > 0) ++result.smaller_steps;
                break;
            }
        }
        ++result.checked;
        if (rel >= result.max_relative_error) {
            result.max_relative_error = rel;
            result.worst = name + "[" + std::to_string(i) + "]";
            result.analytic = a;
            result.numeric = numeric;
        }
    }
    return result;
}

/// Checks every parameter gradient of a model against f(): `params` must already hold the analytic
/// gradient of f (zero_grad, forward, backward), and f() must recompute the scalar from the
/// current parameter values without touching the gradients.
template <class F>
[[nodiscard]] GradientCheckResult check_param_gradients(F&& f, const ParamList<double>& params,
                                                        const GradientCheckOptions& options = {}) {
    GradientCheckResult result;
    result.tolerance = options.tolerance;
    for (const auto& p : params) {
        const Tensor<double> analytic = *p.grad;  // copy: f() may run layers that own the gradient
        result.merge(check_tensor_gradient(f, *p.value, analytic, p.name, options));
    }
    return result;
}

/// Checks a layer's input gradient and all its parameter gradients at input x, with
/// f = <layer.forward(x), r> for a seeded random r. Parameter gradients are zeroed first.
template <Layer L>
    requires std::same_as<typename L::value_type, double>
[[nodiscard]] GradientCheckResult check_layer_gradients(L& layer, const Tensor<double>& x,
                                                        const GradientCheckOptions& options = {}) {
    Tensor<double> input = x;
    Tensor<double> r(layer.output_shape(x.shape()));
    Rng rng(options.seed);
    for (auto& value : r) value = rng.uniform(-1.0, 1.0);

    auto f = [&] {
        const Tensor<double>& y = layer.forward(input);
        double s = 0;
        for (index_t i = 0; i < y.size(); ++i) s += y[i] * r[i];
        return s;
    };

    const ParamList<double> params = layer.params();
    zero_grad(params);
    f();
    const Tensor<double> grad_input = layer.backward(r);

    GradientCheckResult result;
    result.tolerance = options.tolerance;
    if (!grad_input.empty()) result.merge(check_tensor_gradient(f, input, grad_input, "input", options));
    result.merge(check_param_gradients(f, params, options));
    return result;
}

}  // namespace siamese::testing
