// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/eval/episodes.hpp>
#include <siamese/eval/hausdorff.hpp>
#include <siamese/eval/pixel_baseline.hpp>
#include <siamese/eval/retrieval.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

using namespace siamese;
using Point = eval::InkPoints::Point;

namespace {

/// Brute force: mean over a of min over b of the Euclidean distance.
double brute_mean_nearest(const std::vector<Point>& a, const std::vector<Point>& b) {
    double sum = 0;
    for (const auto p : a) {
        double best = std::numeric_limits<double>::infinity();
        for (const auto q : b) best = std::min(best, std::hypot(p.y - q.y, p.x - q.x));
        sum += best;
    }
    return sum / static_cast<double>(a.size());
}

/// n random 8x8 images, two copies of each with the same label.
data::LabelledImages duplicated_set(index_t n, Rng& rng) {
    std::vector<std::uint8_t> pixels;
    std::vector<data::label_t> labels;
    for (index_t i = 0; i < n; ++i) {
        std::vector<std::uint8_t> img(64);
        for (auto& p : img) p = static_cast<std::uint8_t>(rng.uniform_int(256));
        for (int copy = 0; copy < 2; ++copy) {
            pixels.insert(pixels.end(), img.begin(), img.end());
            labels.push_back(i);
        }
    }
    return data::LabelledImages(Shape{1, 8, 8}, pixels, labels);
}

}  // namespace

TEST_CASE("raw-pixel nearest neighbour finds an exact duplicate") {
    Rng rng(11);
    const auto set = duplicated_set(15, rng);
    const eval::PixelScorer scorer(set);
    std::vector<index_t> others;
    for (index_t j = 0; j < set.size(); ++j)
        if (j != 6) others.push_back(j);
    std::vector<double> out(others.size());
    scorer(6, others, out);
    const auto best = std::max_element(out.begin(), out.end()) - out.begin();
    CHECK(others[static_cast<std::size_t>(best)] == 7);  // image 7 is image 6's copy
    CHECK(out[static_cast<std::size_t>(best)] == 0.0);

    // Every image's only classmate is its copy: both metrics are 1, by scorer or by embeddings.
    const auto r = eval::retrieval_metrics(set, scorer);
    CHECK(r.precision_at_1 == 1.0);
    CHECK(r.map_at_r == 1.0);
    const auto e = eval::pixel_embeddings(set);
    CHECK(e.shape() == Shape{30, 64});
    CHECK(eval::retrieval_metrics(e, set.labels()).map_at_r == 1.0);
    CHECK(eval::few_shot_accuracy(set, scorer, {.ways = 5, .episodes = 20, .seed = 1}).accuracy == 1.0);

    // The score is minus the Euclidean distance of the raw values.
    const std::vector<std::uint8_t> two{0, 0, 3, 4};
    const data::LabelledImages pair(Shape{1, 1, 2}, two, {0, 1});
    const std::vector<index_t> one{1};
    const eval::PixelScorer pair_scorer(pair);
    pair_scorer(0, std::span<const index_t>(one), std::span<double>(out.data(), 1));
    CHECK(out[0] == -5.0);
}

TEST_CASE("modified Hausdorff distance on small point sets, by hand") {
    // A = {(0,0), (0,2)}, B = {(0,1), (3,0)} as (row, column).
    // d(A, B): both points of A are 1 from (0,1): mean 1. d(B, A): (0,1) is 1 from A, (3,0) is 3
    // from (0,0): mean 2. MHD = max(1, 2) = 2 (the classic Hausdorff distance would be 3).
    const eval::InkPoints a({{0, 0}, {0, 2}}), b({{0, 1}, {3, 0}});
    CHECK(eval::mean_nearest_distance(a, b) == 1.0);
    CHECK(eval::mean_nearest_distance(b, a) == 2.0);
    CHECK(eval::modified_hausdorff(a, b) == 2.0);
    CHECK(eval::modified_hausdorff(b, a) == 2.0);
    CHECK(eval::modified_hausdorff(a, a) == 0.0);
    CHECK(eval::modified_hausdorff(eval::InkPoints({{0, 0}}), eval::InkPoints({{3, 4}})) == 5.0);
    CHECK_THROWS_AS((void)eval::modified_hausdorff(a, eval::InkPoints{}), std::invalid_argument);
}

TEST_CASE("the bounded row search agrees with brute force") {
    Rng rng(5);
    for (int trial = 0; trial < 200; ++trial) {
        std::vector<Point> a, b;
        const auto n = 1 + rng.uniform_int(40), m = 1 + rng.uniform_int(40);
        const auto span = 2 + rng.uniform_int(60);  // sometimes dense, sometimes sparse
        for (index_t i = 0; i < n; ++i)
            a.push_back({static_cast<int>(rng.uniform_int(span)) - 5, static_cast<int>(rng.uniform_int(span))});
        for (index_t i = 0; i < m; ++i)
            b.push_back({static_cast<int>(rng.uniform_int(span)), static_cast<int>(rng.uniform_int(span)) - 5});
        const eval::InkPoints pa(a), pb(b);
        CHECK(eval::mean_nearest_distance(pa, pb) == doctest::Approx(brute_mean_nearest(a, b)).epsilon(1e-12));
        CHECK(eval::mean_nearest_distance(pb, pa) == doctest::Approx(brute_mean_nearest(b, a)).epsilon(1e-12));
    }
}

TEST_CASE("HausdorffScorer: ink polarity, threshold and errors") {
    // Two 4x4 images: a vertical stroke in column 1, and the same stroke in column 2.
    // White ink on black (MNIST-like) and black ink on white (Omniglot-like) must agree.
    auto stroke = [](int column, std::uint8_t ink, std::uint8_t paper) {
        std::vector<std::uint8_t> img(16, paper);
        for (int y = 0; y < 4; ++y) img[static_cast<std::size_t>(y * 4 + column)] = ink;
        return img;
    };
    for (const bool dark : {false, true}) {
        const std::uint8_t ink = dark ? 0 : 255, paper = dark ? 255 : 0;
        std::vector<std::uint8_t> pixels = stroke(1, ink, paper);
        const auto second = stroke(2, ink, paper);
        pixels.insert(pixels.end(), second.begin(), second.end());
        const data::LabelledImages set(Shape{1, 4, 4}, pixels, {0, 1});
        const eval::HausdorffScorer scorer(set, {.threshold = 128, .ink = dark ? eval::Ink::dark : eval::Ink::light});
        CHECK(scorer.points(0).size() == 4);
        std::vector<double> out(2);
        const std::vector<index_t> both{0, 1};
        scorer(0, both, out);
        CHECK(out[0] == 0.0);
        CHECK(out[1] == -1.0);  // every point is one column from the other stroke
        // The wrong polarity sees paper as ink: 12 points, one stroke's worth of difference.
        const eval::HausdorffScorer inverted(set, {.threshold = 128, .ink = dark ? eval::Ink::light : eval::Ink::dark});
        CHECK(inverted.points(0).size() == 12);
        // The same error type as the scoring's for an image the scorer does not hold.
        CHECK_THROWS_WITH_AS((void)scorer.points(2), doctest::Contains("HausdorffScorer::points: image index 2"),
                             shape_error);
    }
    const auto blank = data::LabelledImages(Shape{1, 2, 2}, std::vector<std::uint8_t>(8, 0), {0, 1});
    // The hint matches load_omniglot's default (inverted: light ink), which its old text contradicted.
    CHECK_THROWS_WITH_AS(eval::HausdorffScorer{blank}, doctest::Contains("load_omniglot inverts them by default"),
                         std::invalid_argument);
    CHECK_THROWS_AS(eval::HausdorffScorer(blank, {.threshold = 0}), std::invalid_argument);
    CHECK_THROWS_WITH_AS(eval::HausdorffScorer(blank, {.threshold = 256}),
                         "HausdorffScorer: the ink threshold must be in 1..255, got 256", std::invalid_argument);
    CHECK_NOTHROW(eval::HausdorffScorer(data::LabelledImages(Shape{1, 1, 1}, {255}, {0}), {.threshold = 255}));
    // The threshold itself is light ink, not dark: 127 | 128 | 129 at threshold 128.
    const std::vector<std::uint8_t> ramp{127, 128, 129};
    const auto light = eval::InkPoints::from_image(ramp, 1, 3, {.threshold = 128, .ink = eval::Ink::light});
    REQUIRE(light.size() == 2);
    CHECK(light.points()[0].x == 1);
    const auto dark = eval::InkPoints::from_image(ramp, 1, 3, {.threshold = 128, .ink = eval::Ink::dark});
    REQUIRE(dark.size() == 1);
    CHECK(dark.points()[0].x == 0);
    const auto rgb = data::LabelledImages(Shape{3, 2, 2}, std::vector<std::uint8_t>(12, 255), {0});
    test::require_shape_error([&] { eval::HausdorffScorer s(rgb); }, {"[1, 2, 2]", "[3, 2, 2]"});
}

TEST_CASE("HausdorffScorer handles 105x105 images with hundreds of ink points quickly") {
    // Omniglot-sized: dark random-walk strokes on white paper; the row search keeps each pair cheap.
    Rng rng(9);
    std::vector<std::uint8_t> pixels;
    std::vector<data::label_t> labels;
    for (int i = 0; i < 40; ++i) {
        std::vector<std::uint8_t> img(105 * 105, 255);
        int y = 20 + static_cast<int>(rng.uniform_int(60)), x = 20 + static_cast<int>(rng.uniform_int(60));
        for (int step = 0; step < 400; ++step) {
            y = std::clamp(y + static_cast<int>(rng.uniform_int(3)) - 1, 0, 104);
            x = std::clamp(x + static_cast<int>(rng.uniform_int(3)) - 1, 0, 104);
            img[static_cast<std::size_t>(y * 105 + x)] = 0;
        }
        pixels.insert(pixels.end(), img.begin(), img.end());
        labels.push_back(i / 2);
    }
    const data::LabelledImages set(Shape{1, 105, 105}, pixels, labels);
    const eval::HausdorffScorer scorer(set, {.threshold = 128, .ink = eval::Ink::dark});
    CHECK(scorer.points(0).size() > 100);
    const auto r = eval::retrieval_metrics(set, scorer);  // 40 x 39 pairs
    CHECK(r.queries == 40);
    CHECK(r.map_at_r >= 0.0);
}

TEST_CASE("InkPoints::from_image: pixels that do not fill height x width are a shape_error naming both") {
    // A 4x4 image's bytes read as 4x5 would take ink from past the image.
    const std::vector<std::uint8_t> sixteen(16, 255);
    test::require_shape_error([&] { (void)eval::InkPoints::from_image(sixteen, 4, 5); },
                              {"InkPoints::from_image", "16 pixels", "[4, 5]"});
    test::require_shape_error([&] { (void)eval::InkPoints::from_image(sixteen, 3, 3); }, {"16 pixels", "[3, 3]"});
    CHECK(eval::InkPoints::from_image(sixteen, 4, 4).size() == 16);
}

TEST_CASE("InkPoints::from_image: negative sides are a shape_error, even when their product is the pixel count") {
    // -2 x -3 = 6 matched 6 pixels and gave an image without ink instead of an error.
    const std::vector<std::uint8_t> six(6, 255);
    test::require_shape_error([&] { (void)eval::InkPoints::from_image(six, -2, -3); }, {"6 pixels", "[-2, -3]"});
    test::require_shape_error([&] { (void)eval::InkPoints::from_image({}, -1, 0); }, {"0 pixels", "[-1, 0]"});
    CHECK(eval::InkPoints::from_image({}, 0, 0).empty());
}
