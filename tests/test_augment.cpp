// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/data/augment.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

using namespace siamese;
using data::AffineTransform;

namespace {

constexpr double pi = 3.14159265358979323846;

/// A [1, 1, h, w] batch with distinct values 1, 2, 3, ... row by row.
Tensor<double> counting_image(index_t h, index_t w) {
    Tensor<double> t(Shape{1, 1, h, w});
    for (index_t i = 0; i < t.size(); ++i) t[i] = static_cast<double>(i + 1);
    return t;
}

}  // namespace

TEST_CASE("warp_affine: the identity and zero distortion reproduce the image exactly") {
    Rng rng(1);
    auto batch = test::random_tensor<float>(Shape{3, 2, 7, 6}, rng, 0, 255);
    const auto original = batch;
    data::warp_image(batch, 1, AffineTransform::identity(), 0.0);
    for (index_t i = 0; i < batch.size(); ++i) REQUIRE(batch[i] == original[i]);

    // An augmenter whose components never switch on, and one whose ranges are all neutral.
    data::Augmenter off({.probability = 0.0}, 3);
    data::Augmenter neutral({.max_rotation_degrees = 0,
                             .max_shear = 0,
                             .min_scale = 1,
                             .max_scale = 1,
                             .max_translation = 0,
                             .probability = 1.0,
                             .fill = 255},
                            4);
    off.augment_all(batch);
    neutral.augment_all(batch);
    for (index_t i = 0; i < batch.size(); ++i) REQUIRE(batch[i] == original[i]);
}

TEST_CASE("warp_affine: a translation by one pixel") {
    // 3x4, moved right by 1: column 0 becomes background, column x takes old column x - 1.
    auto img = counting_image(3, 4);
    data::warp_image(img, 0, AffineTransform::translation(1, 0), -1.0);
    const std::vector<double> right{-1, 1, 2, 3, -1, 5, 6, 7, -1, 9, 10, 11};
    for (index_t i = 0; i < img.size(); ++i) CHECK(img[i] == right[static_cast<std::size_t>(i)]);

    img = counting_image(3, 4);
    data::warp_image(img, 0, AffineTransform::translation(0, -1), 0.0);  // up by one row
    const std::vector<double> up{5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0};
    for (index_t i = 0; i < img.size(); ++i) CHECK(img[i] == up[static_cast<std::size_t>(i)]);

    // Half a pixel right: bilinear averages of horizontal neighbours, background blended in at the edge.
    img = counting_image(1, 3);
    data::warp_image(img, 0, AffineTransform::translation(0.5, 0), 0.0);
    CHECK(img[0] == doctest::Approx(0.5));  // (0 + 1) / 2
    CHECK(img[1] == doctest::Approx(1.5));
    CHECK(img[2] == doctest::Approx(2.5));

    // Half a pixel left on two rows: the last column blends with the fill, not with the first
    // pixel of the next row (nor past the end of the image on the last row).
    img = counting_image(2, 3);
    data::warp_image(img, 0, AffineTransform::translation(-0.5, 0), 0.0);
    const std::vector<double> left{1.5, 2.5, 1.5, 4.5, 5.5, 3};
    for (index_t i = 0; i < img.size(); ++i) CHECK(img[i] == doctest::Approx(left[static_cast<std::size_t>(i)]));
}

TEST_CASE("warp_affine: a quarter turn on a 3x3 image") {
    //  1 2 3         3 6 9
    //  4 5 6   ->    2 5 8    (counter-clockwise as displayed)
    //  7 8 9         1 4 7
    auto img = counting_image(3, 3);
    data::warp_image(img, 0, AffineTransform::rotation(pi / 2), 0.0);
    const std::vector<double> turned{3, 6, 9, 2, 5, 8, 1, 4, 7};
    for (index_t i = 0; i < img.size(); ++i) CHECK(img[i] == doctest::Approx(turned[static_cast<std::size_t>(i)]));

    // On a 4x4 image the centre (1.5, 1.5) is between pixels; four quarter turns come back.
    auto four = counting_image(4, 4);
    const auto original = four;
    for (int k = 0; k < 4; ++k) data::warp_image(four, 0, AffineTransform::rotation(pi / 2), 0.0);
    for (index_t i = 0; i < four.size(); ++i) CHECK(four[i] == doctest::Approx(original[i]));
}

TEST_CASE("warp_affine: scaling about the centre, shear, composition") {
    // 5x5, centre (2, 2), doubled: destination x samples the source at 2 + (x - 2) / 2.
    // Row 2 of the source is 11..15, so destination row 2 is 12, 12.5, 13, 13.5, 14.
    auto img = counting_image(5, 5);
    data::warp_image(img, 0, AffineTransform::scale(2, 2), 0.0);
    const std::vector<double> row2{12, 12.5, 13, 13.5, 14};
    for (index_t x = 0; x < 5; ++x) CHECK(img(0, 0, 2, x) == doctest::Approx(row2[static_cast<std::size_t>(x)]));
    // Corner (0, 0) samples (1, 1): value 7. Pixel (1, 0) samples (1.5, 1): between 7 and 8.
    CHECK(img(0, 0, 0, 0) == doctest::Approx(7));
    CHECK(img(0, 0, 0, 1) == doctest::Approx(7.5));
    // A non-square image scales about its own centre on each axis: x about (W - 1) / 2, y about
    // (H - 1) / 2. A 1x5 row doubled along x keeps its middle pixel; so does a 5x1 column along y.
    const std::vector<double> stretched{2, 2.5, 3, 3.5, 4};
    img = counting_image(1, 5);
    data::warp_image(img, 0, AffineTransform::scale(2, 1), 0.0);
    for (index_t x = 0; x < 5; ++x) CHECK(img(0, 0, 0, x) == doctest::Approx(stretched[static_cast<std::size_t>(x)]));
    img = counting_image(5, 1);
    data::warp_image(img, 0, AffineTransform::scale(1, 2), 0.0);
    for (index_t y = 0; y < 5; ++y) CHECK(img(0, 0, y, 0) == doctest::Approx(stretched[static_cast<std::size_t>(y)]));

    // Shear rho_x = 1 on a 3x3 image: x' = x + (y - 1) about the centre, so row 0 moves left,
    // row 2 right, row 1 stays.
    img = counting_image(3, 3);
    data::warp_image(img, 0, AffineTransform::shear(1, 0), 0.0);
    const std::vector<double> sheared{2, 3, 0, 4, 5, 6, 0, 7, 8};
    for (index_t i = 0; i < img.size(); ++i) CHECK(img[i] == doctest::Approx(sheared[static_cast<std::size_t>(i)]));

    // Composition applies left to right.
    const auto t = AffineTransform::scale(2, 1).then(AffineTransform::translation(1, 0));
    CHECK(t.m00 == 2.0);
    CHECK(t.tx == 1.0);
    const auto u = AffineTransform::translation(1, 0).then(AffineTransform::scale(2, 1));
    CHECK(u.tx == 2.0);
    // Every entry of a general composition: M = M_next M_this, t = M_next t_this + t_next.
    const AffineTransform first{1, 2, 3, 4, 5, 6}, next{7, 8, 9, 10, 11, 12};
    const auto both = first.then(next);
    CHECK(both.m00 == 31.0);
    CHECK(both.m01 == 46.0);
    CHECK(both.m10 == 39.0);
    CHECK(both.m11 == 58.0);
    CHECK(both.tx == 94.0);   // 7 * 5 + 8 * 6 + 11
    CHECK(both.ty == 117.0);  // 9 * 5 + 10 * 6 + 12
    CHECK_THROWS_AS(data::warp_image(img, 0, AffineTransform::scale(0, 1), 0.0), std::invalid_argument);

    // Integral destinations round and clamp.
    const std::uint8_t src[2] = {10, 11};
    std::uint8_t dst[2];
    data::warp_affine(src, dst, 1, 2, AffineTransform::translation(0.5, 0), 255.0);
    CHECK(dst[0] == 133);  // (255 + 10) / 2 = 132.5 rounds away from zero
    CHECK(dst[1] == 11);   // 10.5 rounds to 11
}

TEST_CASE("warp_image: every channel of the chosen image moves, the other images stay") {
    Tensor<double> batch(Shape{2, 2, 1, 3});
    for (index_t i = 0; i < batch.size(); ++i) batch[i] = static_cast<double>(i + 1);
    data::warp_image(batch, 1, AffineTransform::translation(1, 0), 0.0);
    // Image 0 (1 2 3 | 4 5 6) is untouched; image 1's channels (7 8 9 | 10 11 12) both move right.
    const std::vector<double> expected{1, 2, 3, 4, 5, 6, 0, 7, 8, 0, 10, 11};
    for (index_t i = 0; i < batch.size(); ++i) CHECK(batch[i] == expected[static_cast<std::size_t>(i)]);
}

TEST_CASE("warp_affine: a NaN fill is refused, a NaN pixel too when the destination is integral") {
    const std::uint8_t bytes[4] = {10, 20, 30, 40};
    std::uint8_t out[4];
    test::require_error<std::invalid_argument>(
        [&] { data::warp_affine(bytes, out, 2, 2, AffineTransform{}, std::numeric_limits<double>::quiet_NaN()); },
        {"warp_affine: fill must be a finite number", "nan"});
    const float with_nan[4] = {10, 20, 30, std::numeric_limits<float>::quiet_NaN()};
    test::require_error<std::invalid_argument>(
        [&] { data::warp_affine(with_nan, out, 2, 2, AffineTransform{}, 0.0); },
        {"warp_affine: destination pixel (", "interpolates a NaN or infinite source pixel"});
    // A floating-point destination carries the NaN on, for the caller's checks to find.
    float floats[4];
    data::warp_affine(with_nan, floats, 2, 2, AffineTransform{}, 0.0);
    CHECK(std::isnan(floats[3]));
}

TEST_CASE("Augmenter: Koch's ranges, each component on with probability 0.5") {
    data::Augmenter aug({}, 42);
    const int n = 20000;
    int on[7] = {};
    for (int i = 0; i < n; ++i) {
        const auto p = aug.sample_parameters();
        const double values[7] = {p.theta, p.rho_x, p.rho_y, p.s_x - 1, p.s_y - 1, p.t_x, p.t_y};
        for (int k = 0; k < 7; ++k) on[k] += values[k] != 0.0;
        REQUIRE(std::abs(p.theta) <= 10 * pi / 180);
        REQUIRE(std::abs(p.rho_x) <= 0.3);
        REQUIRE(std::abs(p.rho_y) <= 0.3);
        REQUIRE(p.s_x >= 0.8);
        REQUIRE(p.s_x <= 1.2);
        REQUIRE(p.s_y >= 0.8);
        REQUIRE(p.s_y <= 1.2);
        REQUIRE(std::abs(p.t_x) <= 2.0);
        REQUIRE(std::abs(p.t_y) <= 2.0);
    }
    // Binomial(20000, 0.5): standard deviation 71, so +-400 is over 5.6 sigma.
    for (int k = 0; k < 7; ++k) {
        INFO("component " << k);
        CHECK(std::abs(on[k] - n / 2) < 400);
    }

    // The draws fill their ranges, not just stay inside them: each component's extremes come
    // within 10 % of its bounds (10000 uniform draws each leave a gap that wide with
    // probability 0.95^10000).
    data::Augmenter spread({.probability = 1.0}, 11);
    double lo[7], hi[7];
    for (int k = 0; k < 7; ++k) lo[k] = hi[k] = 0;
    for (int i = 0; i < 10000; ++i) {
        const auto p = spread.sample_parameters();
        const double values[7] = {p.theta, p.rho_x, p.rho_y, p.s_x - 1, p.s_y - 1, p.t_x, p.t_y};
        for (int k = 0; k < 7; ++k) {
            lo[k] = std::min(lo[k], values[k]);
            hi[k] = std::max(hi[k], values[k]);
        }
    }
    const double bound[7] = {10 * pi / 180, 0.3, 0.3, 0.2, 0.2, 2, 2};
    for (int k = 0; k < 7; ++k) {
        INFO("component " << k);
        CHECK(hi[k] > 0.9 * bound[k]);
        CHECK(lo[k] < -0.9 * bound[k]);
    }

    // Seeded: the same seed gives the same distortions; state round-trips.
    data::Augmenter a({}, 7), b({}, 7);
    const auto saved = a.state();
    const auto first = a.sample_parameters();
    CHECK(first.theta == b.sample_parameters().theta);
    a.set_state(saved);
    CHECK(a.sample_parameters().t_x == first.t_x);
}

TEST_CASE("KochParameters: scale, then shear, then rotation, then translation") {
    // S = diag(2, 3); shear [[1, 0.1], [0.2, 1]] S = [[2, 0.3], [0.4, 3]]; a quarter turn
    // [[0, 1], [-1, 0]] of that = [[0.4, 3], [-2, -0.3]]; translation (4, 5) last, unrotated.
    const data::KochParameters p{.theta = pi / 2, .rho_x = 0.1, .rho_y = 0.2, .s_x = 2, .s_y = 3, .t_x = 4, .t_y = 5};
    const AffineTransform t = p.transform();
    CHECK(t.m00 == doctest::Approx(0.4));
    CHECK(t.m01 == doctest::Approx(3));
    CHECK(t.m10 == doctest::Approx(-2));
    CHECK(t.m11 == doctest::Approx(-0.3));
    CHECK(t.tx == doctest::Approx(4));
    CHECK(t.ty == doctest::Approx(5));
}

TEST_CASE("Augmenter: in-place warps of a batch, with the background fill") {
    // Omniglot-like: white paper (255) with one dark pixel; the distorted images keep white
    // paper at the borders that the warp exposes.
    Tensor<float> batch(Shape{4, 1, 9, 9}, 255.0f);
    for (index_t i = 0; i < 4; ++i) batch(i, 0, 4, 4) = 0.0f;
    data::Augmenter aug({.max_translation = 2, .probability = 1.0, .fill = 255}, 5);
    const auto before = batch;
    aug.augment(batch, 2);
    for (index_t i = 0; i < batch.size(); ++i) {
        if (i / 81 != 2) REQUIRE(batch[i] == before[i]);  // other images untouched
        REQUIRE(batch[i] >= 0.0f);
        REQUIRE(batch[i] <= 255.0f);
    }
    aug.augment_all(batch);
    for (index_t i = 0; i < 4; ++i) CHECK(batch(i, 0, 0, 0) == doctest::Approx(255.0f));  // paper stays white
    // augment_all distorts every image, the last one too: a random shift moves each dark pixel.
    Tensor<float> dots(Shape{3, 1, 9, 9}, 255.0f);
    for (index_t i = 0; i < 3; ++i) dots(i, 0, 4, 4) = 0.0f;
    data::Augmenter shift({.max_rotation_degrees = 0,
                           .max_shear = 0,
                           .min_scale = 1,
                           .max_scale = 1,
                           .max_translation = 2,
                           .probability = 1.0,
                           .fill = 255},
                          6);
    shift.augment_all(dots);
    for (index_t i = 0; i < 3; ++i) {
        INFO("image " << i);
        CHECK(dots(i, 0, 4, 4) > 0.0f);
    }
    test::require_shape_error(
        [&] {
            Tensor<float> flat(Shape{9, 9});
            aug.augment(flat, 0);
        },
        {"[9, 9]"});
    CHECK_THROWS_AS(aug.augment(batch, 4), std::out_of_range);
    CHECK_THROWS_AS(data::Augmenter({.min_scale = 0}), std::invalid_argument);
    CHECK_THROWS_AS(data::Augmenter({.probability = 1.5}), std::invalid_argument);
}

TEST_CASE("Augmenter: non-finite or negative ranges are refused up front, naming the option and the value") {
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    using E = std::invalid_argument;
    // Infinite translation used to blank every image silently; the others failed later with a
    // misleading "warp_affine: the transform is singular".
    test::require_error<E>([&] { data::Augmenter({.max_translation = inf}); },
                           {"Augmenter", "max_translation", "got inf"});
    test::require_error<E>([&] { data::Augmenter({.max_rotation_degrees = inf}); },
                           {"max_rotation_degrees must be finite and >= 0", "got inf"});
    test::require_error<E>([&] { data::Augmenter({.max_shear = inf}); }, {"max_shear", "got inf"});
    test::require_error<E>([&] { data::Augmenter({.max_scale = inf}); }, {"max_scale", "got inf"});
    test::require_error<E>([&] { data::Augmenter({.min_scale = inf, .max_scale = inf}); }, {"min_scale", "got inf"});
    test::require_error<E>([&] { data::Augmenter({.max_translation = nan}); }, {"max_translation", "nan"});
    test::require_error<E>([&] { data::Augmenter({.max_rotation_degrees = nan}); }, {"max_rotation_degrees", "nan"});
    test::require_error<E>([&] { data::Augmenter({.max_shear = nan}); }, {"max_shear", "nan"});
    test::require_error<E>([&] { data::Augmenter({.min_scale = nan}); }, {"min_scale", "nan"});
    test::require_error<E>([&] { data::Augmenter({.max_scale = nan}); }, {"max_scale", "nan"});
    test::require_error<E>([&] { data::Augmenter({.max_translation = -inf}); }, {"max_translation", "got -inf"});
    // The existing checks now say what they got.
    test::require_error<E>([&] { data::Augmenter({.max_shear = -0.5}); }, {"max_shear", "got -0.5"});
    test::require_error<E>([&] { data::Augmenter({.max_translation = -1}); },
                           {"max_translation must be finite and >= 0", "got -1"});
    test::require_error<E>([&] { data::Augmenter({.max_rotation_degrees = -1}); },
                           {"max_rotation_degrees must be finite and >= 0", "got -1"});
    test::require_error<E>([&] { data::Augmenter({.min_scale = 0}); }, {"min_scale must be finite and > 0", "got 0"});
    test::require_error<E>([&] { data::Augmenter({.min_scale = 1.5, .max_scale = 1.2}); },
                           {"max_scale must be finite and >= min_scale = 1.5", "got 1.2"});
    test::require_error<E>([&] { data::Augmenter({.probability = 1.5}); }, {"probability", "got 1.5"});
    test::require_error<E>([&] { data::Augmenter({.fill = inf}); }, {"fill must be finite", "got inf"});
    // Finite ranges that draw singular warps (determinant (1 - rho_x rho_y) s_x s_y at or near 0,
    // or overflowing) are refused up front, not met half-way through training.
    test::require_error<E>([&] { data::Augmenter({.max_shear = 1}); }, {"max_shear must be below 1", "got 1"});
    test::require_error<E>([&] { data::Augmenter({.max_shear = 1e200}); }, {"max_shear must be below 1", "got 1e+200"});
    test::require_error<E>([&] { data::Augmenter({.min_scale = 1e-200}); }, {"min_scale", "underflows"});
    // Near-1 shears shrink the determinant by 1 - max_shear^2 (2e-8 here): a scale that alone
    // would stay representable (1e-320) underflows with it.
    test::require_error<E>([&] { data::Augmenter({.max_shear = 0.99999999, .min_scale = 1e-160}); },
                           {"min_scale", "underflows"});
    CHECK_NOTHROW(data::Augmenter({.max_shear = 0, .min_scale = 1e-160}));
    test::require_error<E>([&] { data::Augmenter({.max_scale = 1e200}); }, {"max_scale", "overflows"});
    CHECK_NOTHROW(data::Augmenter({.max_shear = 0.99, .min_scale = 1e-100, .max_scale = 1e100}));
    // A finite translation whose range [-max, max] is wider than the largest double drew NaN.
    test::require_error<E>([&] { data::Augmenter({.max_translation = 1e308}); },
                           {"max_translation", "overflows", "got 1e+308"});
    CHECK_NOTHROW(data::Augmenter({.max_translation = 8e307}));
    // Limits that are still fine: zero ranges, equal scales, large finite ranges.
    CHECK_NOTHROW(data::Augmenter(
        {.max_rotation_degrees = 0, .max_shear = 0, .min_scale = 1, .max_scale = 1, .max_translation = 0}));
    CHECK_NOTHROW(data::Augmenter({.max_rotation_degrees = 720, .max_translation = 1e6}));
}

TEST_CASE("Augmenter::augment_all: a tensor that is not a batch [N, C, H, W] is a shape_error naming its shape") {
    // A single image [C, H, W] (or [H, W]) read as a batch would warp rows as if they were images.
    data::Augmenter aug({.max_translation = 2, .probability = 1.0}, 7);
    for (const Shape& wrong : {Shape{1, 9, 9}, Shape{9, 9}, Shape{81}}) {
        CAPTURE(wrong.str());
        Tensor<float> t(wrong, 1.0f);
        test::require_shape_error([&] { aug.augment_all(t); },
                                  {"Augmenter::augment_all: expected a batch [N, C, H, W], got " + wrong.str()});
        for (const float v : t) CHECK(v == 1.0f);  // untouched
    }
}
