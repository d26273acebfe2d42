// SPDX-License-Identifier: MIT
#pragma once

// Differentiable distances between embeddings: the building block of the metric losses.
//
// Pair distances (EuclideanDistance, CosineDistance) compare row i of a left batch with row i
// of a right batch and backpropagate into both. Their gradient comes back as one stacked
// tensor [2B, D], left rows then right rows: the layout of Siamese's stacked batches and of
// PairBatch images, so it can go straight into Siamese::backward_embeddings.
// pairwise_euclidean compares every row with every row (no backward; the triplet loss runs
// the kernel's backward itself).

#include <siamese/detail/check_scalar.hpp>
#include <siamese/errors.hpp>
#include <siamese/kernels/pairwise_distance.hpp>
#include <siamese/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese::metrics {

namespace detail {

// The checks take `who` as a C string and build messages only when they throw: a
// std::string per call would allocate in every training step once a name outgrows SSO.

/// a, b: [B, D] with equal shapes and B, D >= 1; otherwise a shape_error naming `who` and both shapes.
inline void check_pair(const char* who, const Shape& a, const Shape& b) {
    if (a.rank() != 2 || !(a == b) || a[0] < 1 || a[1] < 1) {
        throw shape_error(std::string(who) + ": expected left and right embeddings [B, D] of equal shape, got " +
                          a.str() + " and " + b.str());
    }
}

/// e: [2B, D] with B, D >= 1: B left rows, then B right rows.
inline void check_stacked(const char* who, const Shape& e) {
    if (e.rank() != 2 || e[0] < 2 || e[0] % 2 != 0 || e[1] < 1) {
        throw shape_error(std::string(who) +
                          ": expected stacked embeddings [2B, D] (B left rows, then B right rows), got " + e.str());
    }
}

/// Rows [begin, begin + count) of a matrix, as a view.
template <class T>
[[nodiscard]] TensorView<const T> rows(const T* data, index_t begin, index_t count, index_t d) noexcept {
    return {data + begin * d, Shape{count, d}};
}

/// backward's checks: forward ran, and grad_d has the distances' shape.
inline void check_distance_grad(const char* who, bool forward_done, const Shape& distances, const Shape& grad_d) {
    if (!forward_done) throw std::logic_error(std::string(who) + ": backward called before forward");
    if (!(grad_d == distances)) {
        throw shape_error(std::string(who) + ": expected a gradient of the distances' shape " + distances.str() +
                          ", got " + grad_d.str());
    }
}

/// The left (which = 0) or right (which = 1) half of a stacked gradient [2B, D], as a view.
template <class T>
[[nodiscard]] TensorView<const T> stacked_half(const Tensor<T>& grad, index_t which) noexcept {
    const index_t n = grad.rank() == 2 ? grad.dim(0) / 2 : 0, d = grad.rank() == 2 ? grad.dim(1) : 0;
    return rows(grad.data(), which * n, n, d);
}

/// A row's norm as ldexp(root, exponent), from the row scaled by 2^-exponent (exact) to a
/// largest magnitude of at most 1: its squares neither overflow nor underflow T, where the plain
/// sum of squares would (a float row of norm beyond 1.8e19, or below about 1e-19).
template <class T>
struct ScaledNorm {
    T root;
    int exponent;
};

/// The row's ScaledNorm, or nothing for a zero row or one holding an inf or NaN.
template <class T>
[[nodiscard]] std::optional<ScaledNorm<T>> scaled_norm(const T* row, index_t d) {
    T largest = 0;
    for (index_t k = 0; k < d; ++k) largest = std::max(largest, std::abs(row[k]));
    if (!std::isfinite(largest) || largest == 0) return std::nullopt;
    const int e = std::ilogb(largest) + 1;
    T s = 0;
    for (index_t k = 0; k < d; ++k) s += std::ldexp(row[k], -e) * std::ldexp(row[k], -e);
    return ScaledNorm<T>{std::sqrt(s), e};
}

/// The norm of a finite row whose squares overflow T (a float row of norm beyond 1.8e19), from
/// its ScaledNorm; a row holding an inf stays inf. Unscaled, a distance would be inf and its
/// gradient 0, hiding a diverging run.
template <class T>
[[nodiscard]] T large_norm(const T* row, index_t d) {
    const auto n = scaled_norm(row, d);
    return n ? std::ldexp(n->root, n->exponent) : std::numeric_limits<T>::infinity();
}

}  // namespace detail

/// Euclidean distance between matching rows, smoothed at zero:
///   d_i = sqrt(||a_i - b_i||^2 + eps)
/// The gradient of ||a - b|| has no value at a = b; the smoothed d is differentiable
/// everywhere, its gradient (a - b) / d has norm below 1 and is exactly 0 at a = b. With the
/// default eps = 1e-12, d differs from ||a - b|| by at most 1e-6.
/// Caches a - b and d for backward.
template <class T = float>
class EuclideanDistance {
public:
    explicit EuclideanDistance(double eps = 1e-12) : eps_(eps) {
        siamese::detail::check_positive_normal<T>(name_, "eps", eps);
    }

    [[nodiscard]] std::string name() const { return name_; }

    /// a: [B, D], b: [B, D]  ->  d: [B]
    const Tensor<T>& forward(const Tensor<T>& a, const Tensor<T>& b) {
        detail::check_pair(name_, a.shape(), b.shape());
        return forward_views(a.view(), b.view());
    }

    /// e: [2B, D], the B left rows then the B right rows  ->  d: [B]
    const Tensor<T>& forward_stacked(const Tensor<T>& e) {
        detail::check_stacked(name_, e.shape());
        const index_t b = e.dim(0) / 2, d = e.dim(1);
        return forward_views(detail::rows(e.data(), 0, b, d), detail::rows(e.data(), b, b, d));
    }

    /// Same as forward, on views (a and b already checked by the caller: [B, D] each).
    const Tensor<T>& forward_views(TensorView<const T> a, TensorView<const T> b) {
        const index_t n = a.dim(0), d = a.dim(1);
        ready_ = false;  // until every cache below holds this pass (a std::bad_alloc between them)
        diff_.resize(Shape{n, d});
        squared_.resize(Shape{n});
        distance_.resize(Shape{n});
        for (index_t i = 0; i < n * d; ++i) diff_[i] = a.data[i] - b.data[i];
        const T eps = static_cast<T>(eps_);
        for (index_t i = 0; i < n; ++i) {
            const T* row = diff_.data() + i * d;
            T s = 0;
            for (index_t k = 0; k < d; ++k) s += row[k] * row[k];
            squared_[i] = s;
            // eps, far below the last bit of an overflowing sum, is left out there.
            distance_[i] = std::isinf(s) ? detail::large_norm(row, d) : std::sqrt(s + eps);
        }
        ready_ = true;
        return distance_;
    }

    /// grad_d: [B] = dL/dd  ->  [2B, D]: rows 0..B-1 are dL/da, rows B..2B-1 are dL/db.
    const Tensor<T>& backward(const Tensor<T>& grad_d) {
        detail::check_distance_grad(name_, ready_, distance_.shape(), grad_d.shape());
        const index_t n = diff_.dim(0), d = diff_.dim(1);
        grad_.resize(Shape{2 * n, d});
        T* ga = grad_.data();
        T* gb = ga + n * d;
        for (index_t i = 0; i < n; ++i) {
            const T w = grad_d[i] / distance_[i];
            for (index_t k = 0; k < d; ++k) {
                const T g = w * diff_[i * d + k];
                ga[i * d + k] = g;
                gb[i * d + k] = -g;
            }
        }
        return grad_;
    }

    /// ||a_i - b_i||^2 of the last forward, without eps: [B] (inf where it overflows T).
    [[nodiscard]] const Tensor<T>& squared() const noexcept { return squared_; }
    /// d of the last forward: [B].
    [[nodiscard]] const Tensor<T>& distance() const noexcept { return distance_; }
    /// dL/da of the last backward: [B, D] (a view into backward's result).
    [[nodiscard]] TensorView<const T> grad_left() const noexcept { return detail::stacked_half(grad_, 0); }
    /// dL/db of the last backward: [B, D].
    [[nodiscard]] TensorView<const T> grad_right() const noexcept { return detail::stacked_half(grad_, 1); }
    [[nodiscard]] double eps() const noexcept { return eps_; }

private:
    static constexpr const char* name_ = "EuclideanDistance";
    double eps_;
    Tensor<T> diff_, squared_, distance_, grad_;
    bool ready_ = false;
};

/// Cosine distance between matching rows, in [0, 2]:
///   d_i = 1 - a_i.b_i / (max(||a_i||, eps) max(||b_i||, eps))
/// Clamping each norm at eps keeps a zero row finite: it has cosine 0 with everything
/// (distance 1), and below eps its norm counts as the constant eps in the gradient.
/// Caches the rows divided by their clamped norms, the norms and the cosines for backward.
template <class T = float>
class CosineDistance {
public:
    explicit CosineDistance(double eps = 1e-8) : eps_(eps) {
        siamese::detail::check_positive_normal<T>(name_, "eps", eps);
    }

    [[nodiscard]] std::string name() const { return name_; }

    /// a: [B, D], b: [B, D]  ->  d: [B]
    const Tensor<T>& forward(const Tensor<T>& a, const Tensor<T>& b) {
        detail::check_pair(name_, a.shape(), b.shape());
        return forward_views(a.view(), b.view());
    }

    /// e: [2B, D], the B left rows then the B right rows  ->  d: [B]
    const Tensor<T>& forward_stacked(const Tensor<T>& e) {
        detail::check_stacked(name_, e.shape());
        const index_t b = e.dim(0) / 2, d = e.dim(1);
        return forward_views(detail::rows(e.data(), 0, b, d), detail::rows(e.data(), b, b, d));
    }

    /// Same as forward, on views (a and b already checked by the caller: [B, D] each).
    const Tensor<T>& forward_views(TensorView<const T> a, TensorView<const T> b) {
        const index_t n = a.dim(0), d = a.dim(1);
        ready_ = false;  // until every cache below holds this pass (a std::bad_alloc between them)
        unit_.resize(Shape{2 * n, d});
        norm_.resize(Shape{2 * n});
        cosine_.resize(Shape{n});
        distance_.resize(Shape{n});
        normalise(a.data, n, d, 0);
        normalise(b.data, n, d, n);
        for (index_t i = 0; i < n; ++i) {
            const T* ua = unit_.data() + i * d;
            const T* ub = unit_.data() + (n + i) * d;
            T c = 0;
            for (index_t k = 0; k < d; ++k) c += ua[k] * ub[k];
            c = std::clamp(c, T(-1), T(1));  // rounding took identical rows' cosine past 1: d < 0
            cosine_[i] = c;
            distance_[i] = T(1) - c;
        }
        ready_ = true;
        return distance_;
    }

    /// grad_d: [B] = dL/dd  ->  [2B, D]: rows 0..B-1 are dL/da, rows B..2B-1 are dL/db.
    const Tensor<T>& backward(const Tensor<T>& grad_d) {
        detail::check_distance_grad(name_, ready_, distance_.shape(), grad_d.shape());
        const index_t n = distance_.dim(0), d = unit_.dim(1);
        grad_.resize(unit_.shape());
        const T eps = static_cast<T>(eps_);
        // dcos/da = (b^ - cos a^) / |a| with a^ = a / |a|; when |a| was clamped, |a| is the
        // constant eps and the a^ term (the derivative of the norm) drops out.
        for (index_t i = 0; i < n; ++i) {
            const T c = cosine_[i], g = -grad_d[i];  // d = 1 - cos
            for (index_t side = 0; side < 2; ++side) {
                const index_t self = side * n + i, other = (1 - side) * n + i;
                const T norm = norm_[self];
                const T keep = norm > eps ? c : T(0);
                const T* u = unit_.data() + self * d;
                const T* v = unit_.data() + other * d;
                T* out = grad_.data() + self * d;
                for (index_t k = 0; k < d; ++k) out[k] = g * (v[k] - keep * u[k]) / std::max(norm, eps);
            }
        }
        return grad_;
    }

    /// d of the last forward: [B].
    [[nodiscard]] const Tensor<T>& distance() const noexcept { return distance_; }
    /// cos(a_i, b_i) of the last forward: [B].
    [[nodiscard]] const Tensor<T>& cosine() const noexcept { return cosine_; }
    /// dL/da of the last backward: [B, D].
    [[nodiscard]] TensorView<const T> grad_left() const noexcept { return detail::stacked_half(grad_, 0); }
    /// dL/db of the last backward: [B, D].
    [[nodiscard]] TensorView<const T> grad_right() const noexcept { return detail::stacked_half(grad_, 1); }
    [[nodiscard]] double eps() const noexcept { return eps_; }

private:
    void normalise(const T* x, index_t n, index_t d, index_t first_row) {
        const T eps = static_cast<T>(eps_);
        for (index_t i = 0; i < n; ++i) {
            const T* row = x + i * d;
            T s = 0;
            for (index_t k = 0; k < d; ++k) s += row[k] * row[k];
            T* u = unit_.data() + (first_row + i) * d;
            // Squares past T's range or below its normals: the norm from the row rescaled.
            if ((std::isinf(s) || s < std::numeric_limits<T>::min()) && normalise_scaled(row, d, u, first_row + i))
                [[unlikely]] {
                continue;
            }
            const T norm = std::sqrt(s);
            norm_[first_row + i] = norm;
            const T scale = T(1) / std::max(norm, eps);
            for (index_t k = 0; k < d; ++k) u[k] = row[k] * scale;
        }
    }

    /// A finite, non-zero row whose squares overflow T (norm beyond 1.8e19 in float) or fall below
    /// its normals (norm below about 1e-19): its true norm and direction, from the row scaled by a
    /// power of two (exact) to at most 1. A norm past T's range is stored as inf, and its gradient
    /// (of the order of 1 / norm) is 0. Returns false, having written nothing, for a zero row or
    /// one holding an inf or NaN (the plain path and the numeric checks deal with those).
    bool normalise_scaled(const T* row, index_t d, T* u, index_t r) {
        const auto n = detail::scaled_norm(row, d);
        if (!n) return false;
        const T norm = std::ldexp(n->root, n->exponent);
        norm_[r] = norm;
        const T eps = static_cast<T>(eps_);
        if (norm > eps) {
            for (index_t k = 0; k < d; ++k) u[k] = std::ldexp(row[k], -n->exponent) / n->root;
        } else {
            const T scale = T(1) / eps;  // clamped, exactly as on the plain path
            for (index_t k = 0; k < d; ++k) u[k] = row[k] * scale;
        }
        return true;
    }

    static constexpr const char* name_ = "CosineDistance";
    double eps_;
    Tensor<T> unit_, norm_, cosine_, distance_, grad_;
    bool ready_ = false;
};

/// Every row of a with every row of b: a: [N, D], b: [M, D]  ->  out: [N, M],
/// out_ij = ||a_i - b_j||^2 (squared = true) or ||a_i - b_j|| (squared = false).
/// ||a_i - b_j|| is finite whenever a_i - b_j is, even where its squares overflow T (rescaled as
/// in EuclideanDistance); the squared form is inf there. Computed directly, not via ||a||^2 + ||b||^2 - 2ab (see
/// kernels/pairwise_distance.hpp). out is resized (its storage kept when large enough) and must not be a or b.
template <class T>
void pairwise_euclidean(const Tensor<T>& a, const Tensor<T>& b, Tensor<T>& out, bool squared = false) {
    if (a.rank() != 2 || b.rank() != 2 || a.dim(1) != b.dim(1)) {
        throw shape_error("pairwise_euclidean: expected a [N, D] and b [M, D], got " + a.shape().str() + " and " +
                          b.shape().str());
    }
    if (&out == &a || &out == &b) throw std::invalid_argument("pairwise_euclidean: out must not be an input");
    out.resize(Shape{a.dim(0), b.dim(0)});
    const index_t n = a.dim(0), m = b.dim(0), d = a.dim(1);
    kernels::pairwise_squared_distance(n, m, d, a.data(), b.data(), out.data());
    if (squared) return;  // a sum of squares beyond T's range is inf: it has no finite value
    std::vector<T> diff;  // filled only for a pair whose squares overflow T; sized on first use
    for (index_t i = 0; i < n; ++i) {
        for (index_t j = 0; j < m; ++j) {
            T& v = out[i * m + j];
            if (!std::isinf(v)) {
                v = std::sqrt(v);
                continue;
            }
            diff.resize(static_cast<std::size_t>(d));
            for (index_t k = 0; k < d; ++k) diff[static_cast<std::size_t>(k)] = a[i * d + k] - b[j * d + k];
            v = detail::large_norm(diff.data(), d);
        }
    }
}

}  // namespace siamese::metrics
