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
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese::testing {

/// How check_gradients compares analytic gradients with central differences.
struct GradientCheckOptions {
    double epsilon = 1e-5;    ///< step of the central difference
    double tolerance = 1e-6;  ///< largest accepted relative error
    /// Denominators below this count as this: a derivative near zero is compared absolutely, since
    /// a difference quotient of an O(1) function carries ~1e-16 / epsilon of rounding noise.
    double absolute_floor = 1e-5;
    /// An element that fails is measured again with steps epsilon/10, epsilon/100, ... this many
    /// times: a step that crossed a kink (a ReLU switching, a max-pool argmax moving) is no
    /// derivative, a smaller one avoids it. A wrong gradient fails at every step size.
    int step_reductions = 2;
    index_t max_checks_per_tensor = -1;  ///< < 0: every element; otherwise a seeded random sample
    std::uint64_t seed = 12345;          ///< for r and for the sample of elements
};

namespace detail {

/// Whether relative error `r` is at least as bad as `worst` so far. NaN (a NaN derivative, or
/// 0 / 0) is the worst of all, and the first NaN found stays the worst.
[[nodiscard]] inline bool worse(double r, double worst) noexcept {
    if (std::isnan(worst)) return false;
    return std::isnan(r) || r >= worst;
}

/// epsilon and tolerance must be positive and finite, absolute_floor a finite number >= 0 and
/// step_reductions >= 0: with epsilon 0 or NaN every difference quotient is NaN, and with no
/// attempt at all nothing is compared, and a wrong gradient would pass.
inline void check_options(const char* who, const GradientCheckOptions& options) {
    auto fail = [who](const char* option, const char* requirement, double value) {
        std::ostringstream os;
        os << who << ": " << option << " must be " << requirement << ", got " << value;
        throw std::invalid_argument(os.str());
    };
    if (!(options.epsilon > 0) || !std::isfinite(options.epsilon)) {
        fail("epsilon", "a finite number > 0", options.epsilon);
    }
    if (!(options.tolerance > 0) || !std::isfinite(options.tolerance)) {
        fail("tolerance", "a finite number > 0", options.tolerance);
    }
    if (!(options.absolute_floor >= 0) || !std::isfinite(options.absolute_floor)) {
        fail("absolute_floor", "a finite number >= 0", options.absolute_floor);
    }
    if (options.step_reductions < 0) fail("step_reductions", "at least 0", options.step_reductions);
}

}  // namespace detail

/// The outcome of a check: the worst element found, and how many were compared.
struct GradientCheckResult {
    double max_relative_error = 0;
    std::string worst;  ///< e.g. "input[17]" or "0.weight[3]"
    double analytic = 0, numeric = 0;
    index_t checked = 0;
    index_t smaller_steps = 0;  ///< elements that needed a smaller step (a kink within epsilon)
    double tolerance = 0;

    /// False when an element failed, including one whose error is NaN (a NaN analytic or
    /// numeric derivative): max_relative_error is then NaN and compares false.
    [[nodiscard]] bool ok() const noexcept { return checked > 0 && max_relative_error <= tolerance; }

    [[nodiscard]] std::string str() const {
        std::ostringstream os;
        os.precision(6);
        os << (ok() ? "gradient check passed" : "gradient check FAILED") << ": " << checked << " derivatives ("
           << smaller_steps << " with a smaller step), worst relative error " << max_relative_error << " at " << worst
           << " (analytic " << analytic << ", numeric " << numeric << ", tolerance " << tolerance << ")";
        return os.str();
    }

    void merge(const GradientCheckResult& other) {
        checked += other.checked;
        smaller_steps += other.smaller_steps;
        if (other.checked > 0 && detail::worse(other.max_relative_error, max_relative_error)) {
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
    detail::check_options("check_tensor_gradient", options);
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
            // A NaN or infinite derivative, analytic or numeric, has a NaN error: a failure, since
            // NaN <= tolerance is false. Equal finite derivatives have error 0, also when both are 0
            // and absolute_floor is 0 (which would be 0 / 0).
            const double r = !std::isfinite(a) || !std::isfinite(n) ? std::numeric_limits<double>::quiet_NaN()
                             : a == n                               ? 0.0
                                      : std::abs(a - n) / std::max({std::abs(a), std::abs(n), options.absolute_floor});
            if (attempt == 0 || r < rel || (std::isnan(rel) && !std::isnan(r))) {
                numeric = n;
                rel = r;
            }
            if (rel <= options.tolerance) {
                if (attempt > 0) ++result.smaller_steps;
                break;
            }
        }
        ++result.checked;
        if (detail::worse(rel, result.max_relative_error)) {
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
    detail::check_options("check_param_gradients", options);
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
    detail::check_options("check_layer_gradients", options);
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
