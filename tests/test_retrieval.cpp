// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/eval/distance.hpp>
#include <siamese/eval/pixel_baseline.hpp>
#include <siamese/eval/retrieval.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <vector>

using namespace siamese;

namespace {

Tensor<float> column(const std::vector<float>& values) {
    Tensor<float> t(Shape{static_cast<index_t>(values.size()), 1});
    std::copy(values.begin(), values.end(), t.data());
    return t;
}

}  // namespace

TEST_CASE("retrieval_metrics: P@1 and MAP@R on a hand-built embedding set") {
    // Positions on a line; A = {0, 1, 3}, B = {2, 10, 11}, C = {50} (alone: skipped). R = 2 for all.
    //   query 0 (A): nearest 1 (A), 2 (B)            P@1 1, AP@R (1/1) / 2       = 0.5
    //   query 1 (A): 0 and 2 tie at 1, index 0 first P@1 1, AP@R                  = 0.5
    //   query 2 (B): 1 and 3 tie, then 0            P@1 0, AP@R                  = 0
    //   query 3 (A): 2 (B), then 1 (A)              P@1 0, AP@R (1/2) / 2        = 0.25
    //   query 4 (B): 5 (B), then 3 (A)              P@1 1, AP@R                  = 0.5
    //   query 5 (B): 4 (B), then 3 (A)              P@1 1, AP@R                  = 0.5
    const auto e = column({0, 1, 2, 3, 10, 11, 50});
    const std::vector<data::label_t> labels{0, 0, 1, 0, 1, 1, 2};
    const auto r = eval::retrieval_metrics(e, labels);
    CHECK(r.precision_at_1 == doctest::Approx(4.0 / 6));
    CHECK(r.map_at_r == doctest::Approx(2.25 / 6));
    CHECK(r.queries == 6);
    CHECK(r.skipped == 1);

    // The same through the scorer interface on single-pixel images.
    std::vector<std::uint8_t> pixels{0, 1, 2, 3, 10, 11, 50};
    const data::LabelledImages set(Shape{1, 1, 1}, pixels, labels);
    const auto via_pixels = eval::retrieval_metrics(set, eval::PixelScorer(set));
    CHECK(via_pixels.precision_at_1 == r.precision_at_1);
    CHECK(via_pixels.map_at_r == r.map_at_r);
    const auto via_scorer = eval::retrieval_metrics(set, eval::DistanceScorer(e));
    CHECK(via_scorer.map_at_r == r.map_at_r);
}

TEST_CASE("retrieval_metrics: MAP@R ignores what lies beyond the first R") {
    // Class 0 = {0, 1, 2}; class 1 = {1.4, 100}. Query 0: R = 2, ranking 1 (hit), 1.4 (miss), 2:
    // AP@R = (1/1) / 2 = 0.5, although the last class member comes third.
    const auto e = column({0, 1, 2, 1.4f, 100});
    const std::vector<data::label_t> labels{0, 0, 0, 1, 1};
    // Per query (top R): 0 -> [1, 3]: 0.5; 1 -> [3, 0]: (1/2) / 2 = 0.25; 2 -> [3, 1]: 0.25;
    // 3 (R = 1) -> [1]: 0; 4 (R = 1) -> [2]: 0. P@1: 1, 0, 0, 0, 0.
    const auto r = eval::retrieval_metrics(e, labels);
    CHECK(r.map_at_r == doctest::Approx((0.5 + 0.25 + 0.25) / 5));
    CHECK(r.precision_at_1 == doctest::Approx(1.0 / 5));

    // Well separated classes: both metrics are 1.
    const auto separated = column({0, 1, 2, 50, 51});
    const auto perfect = eval::retrieval_metrics(separated, labels);
    CHECK(perfect.precision_at_1 == 1.0);
    CHECK(perfect.map_at_r == 1.0);
}

TEST_CASE("retrieval_metrics: cosine distance looks at angles only") {
    // Class 0 points along x (lengths 1 and 5), class 1 along y; L2 pairs the two short ones.
    Tensor<double> e(Shape{4, 2});
    const std::vector<double> v{1, 0, 5, 0, 0, 1.2, 0, 9};
    std::copy(v.begin(), v.end(), e.data());
    const std::vector<data::label_t> labels{0, 0, 1, 1};
    CHECK(eval::retrieval_metrics(e, labels, eval::Distance::cosine).precision_at_1 == 1.0);
    CHECK(eval::retrieval_metrics(e, labels, eval::Distance::l2).precision_at_1 == 0.5);
    CHECK(eval::vector_distance(v.data(), v.data() + 2, 2, eval::Distance::cosine) == doctest::Approx(0.0));
    CHECK(eval::vector_distance(v.data(), v.data() + 4, 2, eval::Distance::cosine) == doctest::Approx(1.0));
    CHECK(eval::vector_distance(v.data(), v.data() + 2, 2, eval::Distance::l2) == doctest::Approx(4.0));
    const double zero[2] = {0, 0};
    CHECK(eval::vector_distance(zero, v.data(), 2, eval::Distance::cosine) == 1.0);
    // Rounding takes the cosine of (1, 2) and (0.7, 1.4) a hair past 1 (and past -1 for the
    // opposite): the distance stays in [0, 2], not -2.2e-16 or 2 + 2.2e-16.
    const double a[2] = {1, 2}, b[2] = {0.7, 1.4}, minus_b[2] = {-0.7, -1.4};
    CHECK(eval::vector_distance(a, b, 2, eval::Distance::cosine) == 0.0);
    CHECK(eval::vector_distance(a, minus_b, 2, eval::Distance::cosine) == 2.0);
}

TEST_CASE("vector_distance: a vector holding a NaN or an inf has no cosine (NaN), whatever its other entries") {
    // A row of NaNs and zeros scored as a zero vector (distance 1, a finite score): a diverged
    // model's embeddings passed the scorers' NaN checks and ranked at chance.
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    const double all_nan[2] = {nan, nan}, nan_and_zero[3] = {0, nan, 0}, with_inf[2] = {inf, 1}, unit[2] = {1, 0};
    for (const double* bad : {all_nan, nan_and_zero, with_inf}) {
        CHECK(std::isnan(eval::vector_distance(bad, unit, 2, eval::Distance::cosine)));
        CHECK(std::isnan(eval::vector_distance(unit, bad, 2, eval::Distance::cosine)));
    }
    const double unit3[3] = {1, 0, 0};
    CHECK(std::isnan(eval::vector_distance(nan_and_zero, unit3, 3, eval::Distance::cosine)));
    const float nan_f[3] = {0, std::numeric_limits<float>::quiet_NaN(), 0}, unit_f[3] = {1, 0, 0};
    CHECK(std::isnan(eval::vector_distance(nan_f, unit_f, 3, eval::Distance::cosine)));
    // L2: NaN for a NaN difference, even beside an inf one (which scored inf, a finite ranking).
    const double nan_first[2] = {nan, 0}, inf_second[2] = {0, inf};
    CHECK(std::isnan(eval::vector_distance(nan_first, inf_second, 2, eval::Distance::l2)));
    CHECK(std::isinf(eval::vector_distance(with_inf, unit, 2, eval::Distance::l2)));
}

TEST_CASE("retrieval_metrics: L2 distance of double embeddings beyond 1e154") {
    // The squared differences overflowed: every distance inf, every score tied, the ranking
    // the images' order (precision@1 0.5 for two well-separated classes).
    for (const double scale : {1.0, 1e160, 1e300}) {
        CAPTURE(scale);
        const double a[2] = {3 * scale, 0}, b[2] = {0, 4 * scale};
        CHECK(eval::vector_distance(a, b, 2, eval::Distance::l2) == doctest::Approx(5 * scale));
        Tensor<double> e(Shape{4, 2});
        const std::vector<double> v{1, 0.1, 1.1, 0.2, 0.1, 1.2, 0.3, 0.9};
        for (index_t i = 0; i < e.size(); ++i) e[i] = v[static_cast<std::size_t>(i)] * scale;
        const auto r = eval::retrieval_metrics(e, std::vector<data::label_t>{0, 0, 1, 1}, eval::Distance::l2);
        CHECK(r.precision_at_1 == 1.0);
        CHECK(r.map_at_r == 1.0);
    }
}

TEST_CASE("retrieval_metrics: cosine distance at any scale of double embeddings") {
    // |a|^2 |b|^2 underflowed to 0 (distance -inf) for vectors of 1e-160 and overflowed (NaN) for
    // 1e160; the ranking then mixed the classes. Parallel vectors are at distance 0 at every scale.
    for (const double scale : {1e-300, 1e-160, 1e-80, 1.0, 1e80, 1e160, 1e300}) {
        CAPTURE(scale);
        const double a[2] = {scale, scale}, b[2] = {2 * scale, 2 * scale}, c[2] = {scale, -scale};
        const double same = eval::vector_distance(a, b, 2, eval::Distance::cosine);
        CHECK(same >= 0.0);
        CHECK(same == doctest::Approx(0.0));
        CHECK(eval::vector_distance(a, c, 2, eval::Distance::cosine) == doctest::Approx(1.0));
        Tensor<double> e(Shape{4, 2});
        const std::vector<double> v{1, 0.1, 5, 0.4, 0.1, 1.2, 0.3, 9};
        for (index_t i = 0; i < e.size(); ++i) e[i] = v[static_cast<std::size_t>(i)] * scale;
        const std::vector<data::label_t> labels{0, 0, 1, 1};
        const auto r = eval::retrieval_metrics(e, labels, eval::Distance::cosine);
        CHECK(r.precision_at_1 == 1.0);
        CHECK(r.map_at_r == 1.0);
    }
}

TEST_CASE("retrieval_metrics: independent of the thread count") {
    Rng rng(3);
    const auto e = test::random_tensor<float>(Shape{60, 5}, rng);
    std::vector<data::label_t> labels;
    for (int i = 0; i < 60; ++i) labels.push_back(i % 7);
    set_num_threads(1);
    const auto serial = eval::retrieval_metrics(e, labels);
    set_num_threads(2);  // two whatever the machine's cores (0 would mean one on a one-core machine)
    const auto parallel = eval::retrieval_metrics(e, labels);
    set_num_threads(0);
    CHECK(serial.map_at_r == parallel.map_at_r);
    CHECK(serial.precision_at_1 == parallel.precision_at_1);
}

TEST_CASE("retrieval_metrics: bad input") {
    const auto e = column({0, 1, 2});
    const std::vector<data::label_t> two{0, 1};
    test::require_shape_error([&] { (void)eval::retrieval_metrics(e, two); }, {"[3, 1]", "[2]"});
    test::require_shape_error([&] { (void)eval::retrieval_metrics(Tensor<float>(Shape{3}), two); }, {"[3]"});
    auto bad = column({0, std::nanf(""), 2});
    CHECK_THROWS_AS((void)eval::retrieval_metrics(bad, std::vector<data::label_t>{0, 0, 1}), std::invalid_argument);
    // The message names the row, not the flat element: element 5 of [3, 2] is in row 2.
    Tensor<float> wide(Shape{3, 2}, 1.0F);
    wide[5] = std::nanf("");
    test::require_error<std::invalid_argument>(
        [&] {
            (void)eval::retrieval_metrics(wide, std::vector<data::label_t>{0, 0, 1});
        },
        {"embedding row 2 "});
}

TEST_CASE("retrieval_metrics: a DistanceScorer on embeddings of another image set throws shape_error") {
    const std::vector<data::label_t> labels{0, 0, 1, 1, 2, 2};
    const data::LabelledImages set(Shape{1, 1, 1}, std::vector<std::uint8_t>{0, 1, 10, 11, 20, 21}, labels);
    const auto e_small = column({0, 1, 10, 11});
    test::require_shape_error([&] { (void)eval::retrieval_metrics(set, eval::DistanceScorer(e_small)); },
                              {"DistanceScorer", "out of range for embeddings [4, 1]"});

    // Called directly: a bad query or candidate throws before anything is written.
    const eval::DistanceScorer scorer(e_small);
    std::vector<double> out{7.0, 7.0};
    const std::vector<index_t> past{1, 4}, negative{-1, 0}, good{1, 3};
    test::require_shape_error([&] { scorer(0, past, out); }, {"DistanceScorer", "image index 4", "[4, 1]"});
    test::require_shape_error([&] { scorer(0, negative, out); }, {"DistanceScorer", "image index -1"});
    test::require_shape_error([&] { scorer(9, good, out); }, {"DistanceScorer", "image index 9"});
    CHECK(out == std::vector<double>{7.0, 7.0});
    scorer(0, good, out);
    CHECK(out == std::vector<double>{-1.0, -11.0});
}

TEST_CASE("retrieval_metrics: a scorer that returns NaN is refused, naming the two images") {
    // A user scorer (a diverged model) would otherwise rank NaN somewhere arbitrary and report a
    // plausible MAP@R.
    const std::vector<data::label_t> labels{0, 0, 1, 1};
    const data::LabelledImages set(Shape{1, 1, 1}, std::vector<std::uint8_t>{0, 1, 10, 11}, labels);
    auto nan_for_2_and_0 = [](index_t query, std::span<const index_t> others, std::span<double> out) {
        for (std::size_t k = 0; k < others.size(); ++k) {
            out[k] = query == 2 && others[k] == 0 ? std::numeric_limits<double>::quiet_NaN() : -1.0;
        }
    };
    test::require_error<std::invalid_argument>([&] { (void)eval::retrieval_metrics(set, nan_for_2_and_0); },
                                               {"retrieval_metrics", "returned NaN", "images 2 and 0"});
}
