// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/detail/format_number.hpp>
#include <siamese/errors.hpp>
#include <siamese/random.hpp>
#include <siamese/tensor.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace siamese::data {

/// An affine map of the image plane about the image centre:
///   p' = centre + M (p - centre) + t,
/// with p = (x, y) in pixels, x the column and y the row (pointing down), pixel centres at
/// integer coordinates, centre = ((W - 1) / 2, (H - 1) / 2). Warping moves the content at p
/// to p'. M acts on (x, y) as [[m00, m01], [m10, m11]].
struct AffineTransform {
    double m00 = 1, m01 = 0, m10 = 0, m11 = 1;
    double tx = 0, ty = 0;  ///< translation in pixels: +tx moves content right, +ty down

    [[nodiscard]] static AffineTransform identity() noexcept { return {}; }
    /// Rotation by `radians`, counter-clockwise as displayed (y pointing down).
    [[nodiscard]] static AffineTransform rotation(double radians) noexcept {
        const double c = std::cos(radians), s = std::sin(radians);
        return {c, s, -s, c, 0, 0};
    }
    /// Shear: x' = x + rho_x y, y' = rho_y x + y.
    [[nodiscard]] static AffineTransform shear(double rho_x, double rho_y) noexcept {
        return {1, rho_x, rho_y, 1, 0, 0};
    }
    /// Scaling by sx along x and sy along y.
    [[nodiscard]] static AffineTransform scale(double sx, double sy) noexcept { return {sx, 0, 0, sy, 0, 0}; }
    [[nodiscard]] static AffineTransform translation(double tx, double ty) noexcept { return {1, 0, 0, 1, tx, ty}; }

    /// This map followed by `next`: p -> next(this(p)).
    [[nodiscard]] AffineTransform then(const AffineTransform& next) const noexcept {
        return {next.m00 * m00 + next.m01 * m10,         next.m00 * m01 + next.m01 * m11,
                next.m10 * m00 + next.m11 * m10,         next.m10 * m01 + next.m11 * m11,
                next.m00 * tx + next.m01 * ty + next.tx, next.m10 * tx + next.m11 * ty + next.ty};
    }

    [[nodiscard]] double determinant() const noexcept { return m00 * m11 - m01 * m10; }
};

/// Warps one H x W plane: dst(p') = src(p) for p' = transform(p), i.e. each destination pixel
/// samples the source at the inverse-mapped location with bilinear interpolation; each of the
/// four neighbours that falls outside the image reads `fill` (the background: 0 for MNIST's
/// black, 255 for Omniglot's white paper), so edges blend into it smoothly. The identity
/// reproduces a finite src exactly (a NaN or infinite pixel of a floating-point src makes NaN of
/// the pixels that interpolate from it, even with weight 0). src and dst must not overlap. An integral
/// Dst is rounded and clamped to its range. Throws std::invalid_argument for a singular
/// transform, a non-finite fill, and a NaN that would go into an integral Dst (which has none;
/// dst is then partly written).
template <class Src, class Dst>
void warp_affine(const Src* src, Dst* dst, index_t height, index_t width, const AffineTransform& transform,
                 double fill) {
    if (!std::isfinite(fill)) {
        throw std::invalid_argument("warp_affine: fill must be a finite number, got " +
                                    siamese::detail::format_number(fill));
    }
    const double det = transform.determinant();
    if (!(std::abs(det) > 0.0) || !std::isfinite(det)) {
        throw std::invalid_argument("warp_affine: the transform is singular (determinant " +
                                    siamese::detail::format_number(det) + ")");
    }
    // Inverse of M; the centre and translation are undone around it.
    const double i00 = transform.m11 / det, i01 = -transform.m01 / det;
    const double i10 = -transform.m10 / det, i11 = transform.m00 / det;
    const double cx = static_cast<double>(width - 1) / 2, cy = static_cast<double>(height - 1) / 2;
    auto at = [&](index_t x, index_t y) {
        return x < 0 || y < 0 || x >= width || y >= height ? fill : static_cast<double>(src[y * width + x]);
    };
    for (index_t y = 0; y < height; ++y) {
        for (index_t x = 0; x < width; ++x) {
            const double u = static_cast<double>(x) - cx - transform.tx;
            const double v = static_cast<double>(y) - cy - transform.ty;
            const double sx = i00 * u + i01 * v + cx, sy = i10 * u + i11 * v + cy;
            double value = fill;
            // Far outside (or non-finite) samples are background; this also keeps the casts below in range.
            if (sx > -1.0 && sy > -1.0 && sx < static_cast<double>(width) && sy < static_cast<double>(height)) {
                const double fx0 = std::floor(sx), fy0 = std::floor(sy);
                const double fx = sx - fx0, fy = sy - fy0;
                const auto x0 = static_cast<index_t>(fx0), y0 = static_cast<index_t>(fy0);
                value = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
                        fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
            }
            if constexpr (std::is_integral_v<Dst>) {
                if (std::isnan(value)) {
                    throw std::invalid_argument("warp_affine: destination pixel (" + std::to_string(x) + ", " +
                                                std::to_string(y) +
                                                ") interpolates a NaN or infinite source pixel, which an integral "
                                                "destination cannot hold");
                }
                const double lo = static_cast<double>(std::numeric_limits<Dst>::lowest());
                const double hi = static_cast<double>(std::numeric_limits<Dst>::max());
                dst[y * width + x] = static_cast<Dst>(std::clamp(std::round(value), lo, hi));
            } else {
                dst[y * width + x] = static_cast<Dst>(value);
            }
        }
    }
}

namespace detail {

template <class T>
void check_batch_image(const Tensor<T>& batch, index_t i, const char* who) {
    if (batch.rank() != 4) {
        throw shape_error(std::string(who) + ": expected a batch [N, C, H, W], got " + batch.shape().str());
    }
    if (i < 0 || i >= batch.dim(0)) {
        throw std::out_of_range(std::string(who) + ": image " + std::to_string(i) + " out of range for a batch of " +
                                batch.shape().str());
    }
}

template <class T>
void warp_batch_image(Tensor<T>& batch, index_t i, const AffineTransform& transform, double fill,
                      std::vector<double>& scratch) {
    const index_t h = batch.dim(2), w = batch.dim(3);
    scratch.resize(static_cast<std::size_t>(h * w));
    for (index_t c = 0; c < batch.dim(1); ++c) {
        T* plane = batch.data() + ((i * batch.dim(1) + c) * h) * w;
        std::copy_n(plane, h * w, scratch.data());
        warp_affine(scratch.data(), plane, h, w, transform, fill);
    }
}

}  // namespace detail

/// Warps image i of a batch [N, C, H, W] in place, every channel with the same transform.
template <class T>
void warp_image(Tensor<T>& batch, index_t i, const AffineTransform& transform, double fill) {
    detail::check_batch_image(batch, i, "warp_image");
    std::vector<double> scratch;
    detail::warp_batch_image(batch, i, transform, fill, scratch);
}

/// Ranges of Koch et al.'s (2015) affine distortions for one-shot training; each of the seven
/// components is switched on independently with `probability`, and takes its neutral value
/// (0, or 1 for scales) otherwise.
struct KochAugmentOptions {
    double max_rotation_degrees = 10;  ///< theta uniform in [-max, max] degrees
    double max_shear = 0.3;            ///< rho_x, rho_y uniform in [-max, max]; below 1
    double min_scale = 0.8;            ///< s_x, s_y uniform in [min_scale, max_scale]
    double max_scale = 1.2;
    double max_translation = 2;  ///< t_x, t_y uniform in [-max, max] pixels
    double probability = 0.5;    ///< chance that each component is applied
    double fill = 0;             ///< background value: 0 for MNIST, 255 for Omniglot
};

/// One draw of the distortion parameters.
struct KochParameters {
    double theta = 0;  ///< radians, counter-clockwise as displayed
    double rho_x = 0, rho_y = 0;
    double s_x = 1, s_y = 1;
    double t_x = 0, t_y = 0;

    /// Scale, then shear, then rotate (all about the image centre), then translate.
    [[nodiscard]] AffineTransform transform() const noexcept {
        return AffineTransform::scale(s_x, s_y)
            .then(AffineTransform::shear(rho_x, rho_y))
            .then(AffineTransform::rotation(theta))
            .then(AffineTransform::translation(t_x, t_y));
    }
};

/// Draws Koch's random affine distortions from its own seeded generator and applies them to
/// training images, e.g. to the [2B, C, H, W] images of a PairBatch right after the sampler
/// fills it (augment_all), or to chosen images of any batch (augment). For training only:
/// evaluation sees the images as they are.
class Augmenter {
public:
    explicit Augmenter(const KochAugmentOptions& options = {}, std::uint64_t seed = 0) : options_(options), rng_(seed) {
        const auto& o = options;
        auto bad = [](const std::string& why, double got) {
            throw std::invalid_argument("Augmenter: " + why + ", got " + siamese::detail::format_number(got));
        };
        // Non-finite ranges would draw infinite or NaN parameters: a blank image, or a transform
        // that warp_affine rejects as singular.
        auto finite_non_negative = [&](const char* name, double v) {
            if (!(v >= 0 && std::isfinite(v))) bad(std::string(name) + " must be finite and >= 0", v);
        };
        finite_non_negative("max_rotation_degrees", o.max_rotation_degrees);
        finite_non_negative("max_shear", o.max_shear);
        if (!(o.min_scale > 0 && std::isfinite(o.min_scale))) bad("min_scale must be finite and > 0", o.min_scale);
        if (!(o.max_scale >= o.min_scale && std::isfinite(o.max_scale))) {
            bad("max_scale must be finite and >= min_scale = " + siamese::detail::format_number(o.min_scale),
                o.max_scale);
        }
        // Every drawn warp has determinant (1 - rho_x rho_y) s_x s_y, which must stay a positive
        // finite number, or warp_affine would reject it as singular in the middle of training.
        if (!(o.max_shear < 1)) {
            bad("max_shear must be below 1 (shears rho_x = rho_y = 1 fold the image onto a line)", o.max_shear);
        }
        const double shear2 = o.max_shear * o.max_shear;
        if (!((1 - shear2) * o.min_scale * o.min_scale > 0)) {
            bad("min_scale is so small that the warp's determinant underflows to 0", o.min_scale);
        }
        if (!std::isfinite((1 + shear2) * o.max_scale * o.max_scale)) {
            bad("max_scale is so large that the warp's determinant overflows", o.max_scale);
        }
        finite_non_negative("max_translation", o.max_translation);
        // t is drawn from [-max, max]: a range wider than the largest double draws inf or NaN,
        // which blanks every image as an infinite translation would.
        if (!std::isfinite(2 * o.max_translation)) {
            bad("max_translation is so large that the range [-max, max] overflows", o.max_translation);
        }
        if (!(o.probability >= 0 && o.probability <= 1)) bad("probability must be in [0, 1]", o.probability);
        if (!std::isfinite(o.fill)) bad("fill must be finite", o.fill);
    }

    /// Draws one set of parameters. Every component consumes two numbers (switch and value)
    /// whether or not it is applied, so the stream stays aligned across options.
    KochParameters sample_parameters() {
        const auto& o = options_;
        auto draw = [&](double lo, double hi, double neutral) {
            const bool on = rng_.uniform() < o.probability;
            const double value = rng_.uniform(lo, hi);
            return on ? value : neutral;
        };
        constexpr double degree = std::numbers::pi / 180;
        KochParameters p;
        p.theta = draw(-o.max_rotation_degrees * degree, o.max_rotation_degrees * degree, 0);
        p.rho_x = draw(-o.max_shear, o.max_shear, 0);
        p.rho_y = draw(-o.max_shear, o.max_shear, 0);
        p.s_x = draw(o.min_scale, o.max_scale, 1);
        p.s_y = draw(o.min_scale, o.max_scale, 1);
        p.t_x = draw(-o.max_translation, o.max_translation, 0);
        p.t_y = draw(-o.max_translation, o.max_translation, 0);
        return p;
    }

    /// Draws one random transform.
    AffineTransform sample() { return sample_parameters().transform(); }

    /// Distorts image i of batch [N, C, H, W] in place with a fresh random transform.
    template <class T>
    void augment(Tensor<T>& batch, index_t i) {
        detail::check_batch_image(batch, i, "Augmenter::augment");
        detail::warp_batch_image(batch, i, sample(), options_.fill, scratch_);
    }

    /// Distorts every image of batch [N, C, H, W] in place, each with its own transform.
    template <class T>
    void augment_all(Tensor<T>& batch) {
        if (batch.rank() != 4) {
            throw shape_error("Augmenter::augment_all: expected a batch [N, C, H, W], got " + batch.shape().str());
        }
        for (index_t i = 0; i < batch.dim(0); ++i)
            detail::warp_batch_image(batch, i, sample(), options_.fill, scratch_);
    }

    [[nodiscard]] const KochAugmentOptions& options() const noexcept { return options_; }
    /// The generator state, for checkpoints; set_state resumes the exact stream of distortions.
    [[nodiscard]] Rng::State state() const noexcept { return rng_.state(); }
    void set_state(const Rng::State& s) noexcept { rng_.set_state(s); }

private:
    KochAugmentOptions options_;
    Rng rng_;
    std::vector<double> scratch_;
};

}  // namespace siamese::data
