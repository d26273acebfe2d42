// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/losses/triplet.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace siamese;

namespace {

// Five 1-D embeddings, classes {0, 1} and {2, 3, 4}, margin 1. Distances |x_i - x_j|:
//          0     1     2     3     4
//   0    0     1     3.2   1.4   0.75        x = 0, 1, 3.2, 1.4, 0.75
//   1    1     0     2.2   0.4   0.25        labels 0, 0, 1, 1, 1
//   2    3.2   2.2   0     1.8   2.45
//   3    1.4   0.4   1.8   0     0.65
//   4    0.75  0.25  2.45  0.65  0
// No loss sits at 0 and no two candidate distances tie, so every gradient below exists.
Tensor<double> five_points() {
    Tensor<double> x(Shape{5, 1});
    const double v[] = {0, 1, 3.2, 1.4, 0.75};
    std::copy_n(v, 5, x.data());
    return x;
}
const std::vector<std::int64_t> five_labels{0, 0, 1, 1, 1};

void check_gradient(TripletMarginLoss<double>& loss, Tensor<double> e, const std::vector<std::int64_t>& labels) {
    auto f = [&] { return static_cast<double>(loss.forward(e, labels)); };
    f();
    const Tensor<double> analytic = loss.backward();
    test::require_gradients_ok(testing::check_tensor_gradient(f, e, analytic, "embeddings"));
}

/// Embeddings [P*K, D] clustered by class (a random centre per class plus noise), labels
/// 0..P-1, K each: some triplets are already satisfied, some not.
std::pair<Tensor<double>, std::vector<std::int64_t>> random_batch(index_t p, index_t k, index_t d, Rng& rng) {
    std::vector<std::int64_t> labels;
    auto e = test::random_tensor(Shape{p * k, d}, rng, -0.5, 0.5);
    for (index_t c = 0; c < p; ++c) {
        const auto centre = test::random_tensor(Shape{d}, rng);
        for (index_t i = c * k; i < (c + 1) * k; ++i) {
            for (index_t j = 0; j < d; ++j) e[i * d + j] += centre[j];
        }
        labels.insert(labels.end(), static_cast<std::size_t>(k), c);
    }
    return {e, labels};
}

/// dL/dx of 1-D embeddings x for the given triplets (a, p, n), every one active, averaged over
/// them: d(i, j) = |x_i - x_j| moves x_i by sign(x_i - x_j).
std::vector<double> gradient_of_triplets(const std::vector<double>& x,
                                         const std::vector<std::array<std::size_t, 3>>& triplets) {
    auto sign = [&](std::size_t i, std::size_t j) { return x[i] > x[j] ? 1.0 : -1.0; };
    std::vector<double> g(x.size(), 0.0);
    const double scale = 1.0 / static_cast<double>(triplets.size());
    for (const auto& [a, p, n] : triplets) {
        g[a] += (sign(a, p) - sign(a, n)) * scale;
        g[p] += sign(p, a) * scale;
        g[n] -= sign(n, a) * scale;
    }
    return g;
}

/// Mines 1-D embeddings x with `options` and checks that the gradient is the one of `expected`.
void check_mined(TripletOptions options, const std::vector<double>& x, const std::vector<std::int64_t>& labels,
                 const std::vector<std::array<std::size_t, 3>>& expected) {
    TripletMarginLoss<double> loss(options);
    Tensor<double> e(Shape{static_cast<index_t>(x.size()), 1});
    std::copy(x.begin(), x.end(), e.data());
    loss.forward(e, labels);
    REQUIRE(loss.triplets() == static_cast<index_t>(expected.size()));
    REQUIRE(loss.active_triplets() == static_cast<index_t>(expected.size()));
    const auto& g = loss.backward();
    const auto want = gradient_of_triplets(x, expected);
    for (std::size_t i = 0; i < x.size(); ++i) {
        CAPTURE(i);
        CHECK(g[static_cast<index_t>(i)] == doctest::Approx(want[i]).epsilon(1e-9));
    }
}

}  // namespace

TEST_CASE("TripletMarginLoss, batch all: every valid triplet, averaged over the active ones or all") {
    // 18 valid triplets (a, p, n), loss d(a,p) - d(a,n) + 1:
    //   (0,1,2) -1.2  (0,1,3) 0.6   (0,1,4) 1.25  (1,0,2) -0.2  (1,0,3) 1.6   (1,0,4) 1.75
    //   (2,3,0) -0.4  (2,3,1) 0.6   (2,4,0) 0.25  (2,4,1) 1.25  (3,2,0) 1.4   (3,2,1) 2.4
    //   (3,4,0) 0.25  (3,4,1) 1.25  (4,2,0) 2.7   (4,2,1) 3.2   (4,3,0) 0.9   (4,3,1) 1.4
    // 15 are active (positive), summing to 20.8: 20.8 / 15 = 1.38667, or 20.8 / 18 = 1.15556 over all.
    TripletMarginLoss<double> active({.margin = 1.0, .mining = TripletMining::batch_all});
    CHECK(active.forward(five_points(), five_labels) == doctest::Approx(20.8 / 15).epsilon(1e-10));
    CHECK(active.triplets() == 18);
    CHECK(active.active_triplets() == 15);
    TripletMarginLoss<double> all({.margin = 1.0, .mining = TripletMining::batch_all, .average = TripletAverage::all});
    CHECK(all.forward(five_points(), five_labels) == doctest::Approx(20.8 / 18).epsilon(1e-10));
    CHECK(all.triplets() == 18);
    // The gradient in 1-D: dL/dx_i sums +-1 per active triplet's distances, / 15. x_2 = 3.2 is
    // the largest point, so each of its distances grows with it: it is the anchor of 3 active
    // triplets as a (+1 positive, -1 negative), positive of 4 ((3,2,0),(3,2,1),(4,2,0),(4,2,1)):
    // anchors 2: (2,3,1): d(2,3) - d(2,1) -> +1 - 1 = 0; (2,4,0): 0; (2,4,1): 0; as positive: +4.
    active.forward(five_points(), five_labels);
    CHECK(active.backward()[2] == doctest::Approx(4.0 / 15).epsilon(1e-10));
    check_gradient(active, five_points(), five_labels);
    check_gradient(all, five_points(), five_labels);
}

TEST_CASE("TripletMarginLoss, batch hard: farthest positive and nearest negative per anchor") {
    //   anchor 0: p = 1 (1),    n = 4 (0.75) -> 1.25
    //   anchor 1: p = 0 (1),    n = 4 (0.25) -> 1.75
    //   anchor 2: p = 4 (2.45), n = 1 (2.2)  -> 1.25
    //   anchor 3: p = 2 (1.8),  n = 1 (0.4)  -> 2.4
    //   anchor 4: p = 2 (2.45), n = 1 (0.25) -> 3.2        mean = 9.85 / 5 = 1.97
    TripletMarginLoss<double> loss({.margin = 1.0, .mining = TripletMining::batch_hard});
    CHECK(loss.forward(five_points(), five_labels) == doctest::Approx(1.97).epsilon(1e-10));
    CHECK(loss.triplets() == 5);
    check_gradient(loss, five_points(), five_labels);
}

TEST_CASE("TripletMarginLoss, semi-hard: the nearest negative beyond the positive within the margin") {
    // Per anchor-positive pair, the band d(a,p) < d(a,n) < d(a,p) + 1:
    //   (0,1): band (1, 2)       negatives 3.2, 1.4, 0.75  -> n = 3 (1.4):  0.6
    //   (1,0): band (1, 2)       negatives 2.2, 0.4, 0.25  -> none: nearest n = 4 (0.25): 1.75
    //   (2,3): band (1.8, 2.8)   negatives 3.2, 2.2        -> n = 1 (2.2):  0.6
    //   (2,4): band (2.45, 3.45) negatives 3.2, 2.2        -> n = 0 (3.2):  0.25
    //   (3,2): band (1.8, 2.8)   negatives 1.4, 0.4        -> none: nearest n = 1 (0.4): 2.4
    //   (3,4): band (0.65, 1.65) negatives 1.4, 0.4        -> n = 0 (1.4):  0.25
    //   (4,2): band (2.45, 3.45) negatives 0.75, 0.25      -> none: nearest n = 1 (0.25): 3.2
    //   (4,3): band (0.65, 1.65) negatives 0.75, 0.25      -> n = 0 (0.75): 0.9
    //   mean = 9.95 / 8 = 1.24375 (batch hard would pick n = 4 for anchor 0, for instance)
    TripletMarginLoss<double> loss({.margin = 1.0, .mining = TripletMining::semi_hard});
    CHECK(loss.forward(five_points(), five_labels) == doctest::Approx(9.95 / 8).epsilon(1e-10));
    CHECK(loss.triplets() == 8);
    // Both paths, the band and the fallback, are in this gradient check.
    check_gradient(loss, five_points(), five_labels);
}

TEST_CASE("TripletMarginLoss, semi-hard: the band is strict and its nearest negative is chosen") {
    // 1-D, anchor 0 and positive 1 of class 0; each negative alone in its class, so that only
    // the pairs (0, 1) and (1, 0) mine. Pair (1, 0) finds no negative in its band: nearest.
    const std::vector<std::int64_t> labels{0, 0, 1, 2};
    auto points = [](double n1, double n2) {
        Tensor<double> x(Shape{4, 1});
        const double v[] = {0, 1, n1, n2};
        std::copy_n(v, 4, x.data());
        return x;
    };
    SUBCASE("two negatives in the band (1, 2): the nearer, 1.2, not 1.8") {
        // (0,1): 1 - 1.2 + 1 = 0.8;  (1,0): negatives at 0.2 and 0.8, none in band: 1 - 0.2 + 1 = 1.8
        TripletMarginLoss<double> loss({.margin = 1.0, .mining = TripletMining::semi_hard});
        CHECK(loss.forward(points(1.2, 1.8), labels) == doctest::Approx((0.8 + 1.8) / 2).epsilon(1e-10));
    }
    SUBCASE("a negative exactly as far as the positive is outside the band") {
        // margin 0.8. (0,1): -1 ties d(a,p) = 1, so 1.5 is chosen: 1 - 1.5 + 0.8 = 0.3;
        // (1,0): negatives at 2 and 0.5, none in (1, 1.8): 1 - 0.5 + 0.8 = 1.3
        TripletMarginLoss<double> loss({.margin = 0.8, .mining = TripletMining::semi_hard});
        CHECK(loss.forward(points(-1, 1.5), labels) == doctest::Approx((0.3 + 1.3) / 2).epsilon(1e-10));
    }
}

TEST_CASE("TripletMarginLoss: on equal distances the first index wins, for every mining rule") {
    // Batch hard, x = 0, 1, -1, 2, -2, labels 0, 0, 0, 1, 1: anchor 0's positives 1 and 2 are both
    // at 1 and its negatives 3 and 4 both at 2; it takes 1 and 3.
    check_mined({.margin = 2.0, .mining = TripletMining::batch_hard}, {0, 1, -1, 2, -2}, {0, 0, 0, 1, 1},
                {{{0, 1, 3}}, {{1, 2, 3}}, {{2, 1, 4}}, {{3, 4, 1}}, {{4, 3, 2}}});
    // Semi-hard, x = 0, 1, 1.5, -1.5: for (0, 1) both negatives lie in the band (1, 2), at 1.5.
    check_mined({.margin = 1.0, .mining = TripletMining::semi_hard}, {0, 1, 1.5, -1.5}, {0, 0, 1, 1},
                {{{0, 1, 2}}, {{1, 0, 2}}, {{2, 3, 1}}, {{3, 2, 0}}});
    // Semi-hard without a negative in the band, x = 0, 2, 1, -1, margin 1.5: for (0, 1) and
    // (2, 3) the band (2, 3.5) is empty and the two nearest negatives tie at 1.
    check_mined({.margin = 1.5, .mining = TripletMining::semi_hard}, {0, 2, 1, -1}, {0, 0, 1, 1},
                {{{0, 1, 2}}, {{1, 0, 3}}, {{2, 3, 0}}, {{3, 2, 1}}});
}

TEST_CASE("TripletMarginLoss: a triplet whose loss is exactly 0 is satisfied: not active, no gradient") {
    // margin 0, d(a,p) = d(a,n) bit for bit (1-D: a = 0, p = 1, n = -1).
    Tensor<double> t(Shape{3, 1});
    const double v[] = {0, 1, -1};
    std::copy_n(v, 3, t.data());
    TripletMarginLoss<double> loss({.margin = 0.0});
    CHECK(loss.forward_triplets(t) == 0.0);
    CHECK(loss.triplets() == 1);
    CHECK(loss.active_triplets() == 0);
    for (const double g : loss.backward()) CHECK(g == 0.0);
}

TEST_CASE("TripletMarginLoss: gradients match finite differences for every mining on random batches") {
    Rng rng(321);
    for (const auto mining : {TripletMining::batch_all, TripletMining::batch_hard, TripletMining::semi_hard}) {
        for (const bool squared : {false, true}) {
            CAPTURE(static_cast<int>(mining));
            CAPTURE(squared);
            auto [e, labels] = random_batch(4, 3, 5, rng);
            TripletMarginLoss<double> loss({.margin = 0.5, .mining = mining, .squared = squared});
            loss.forward(e, labels);
            // Some triplets active, some not: both sides of the hinge are exercised.
            INFO("active " << loss.active_triplets() << " of " << loss.triplets());
            CHECK(loss.active_triplets() > 0);
            CHECK(loss.active_triplets() < loss.triplets());
            check_gradient(loss, e, labels);
        }
    }
}

TEST_CASE("TripletMarginLoss: given triplets (anchors, positives, negatives) by hand and by finite differences") {
    // B = 2 in 2-D, margin 1:
    //   a=(0,0) p=(0,1) n=(2.5,0): 1 - 2.5 + 1 = -0.5 -> 0
    //   a=(1,1) p=(1,3) n=(2,1): 2 - 1 + 1 = 2
    //   mean = 1; gradient only through the second triplet, / 2:
    //   dL/da = ((a - p)/2 - (a - n)/1) / 2 = ((0,-1) - (-1,0)) / 2 = (0.5, -0.5)
    //   dL/dp = -(a - p)/2 / 2 = (0, 0.5);  dL/dn = (a - n)/1 / 2 = (-0.5, 0)
    Tensor<double> t(Shape{6, 2});
    const double v[] = {0, 0, 1, 1, 0, 1, 1, 3, 2.5, 0, 2, 1};
    std::copy_n(v, 12, t.data());
    TripletMarginLoss<double> loss({.margin = 1.0});
    CHECK(loss.forward_triplets(t) == doctest::Approx(1.0).epsilon(1e-10));
    CHECK(loss.triplets() == 2);
    CHECK(loss.active_triplets() == 1);
    const Tensor<double>& g = loss.backward();
    const double expected[] = {0, 0, 0.5, -0.5, 0, 0, 0, 0.5, 0, 0, -0.5, 0};
    for (index_t i = 0; i < 12; ++i) {
        CAPTURE(i);
        CHECK(g[i] == doctest::Approx(expected[i]).epsilon(1e-10));
    }

    Rng rng(322);
    auto e = test::random_tensor(Shape{15, 4}, rng);
    auto f = [&] { return static_cast<double>(loss.forward_triplets(e)); };
    f();
    CHECK(loss.active_triplets() > 0);
    const Tensor<double> analytic = loss.backward();
    test::require_gradients_ok(testing::check_tensor_gradient(f, e, analytic, "triplets"));
}

TEST_CASE("TripletMarginLoss: a batch without valid triplets has loss 0 and gradient 0") {
    TripletMarginLoss<float> loss;
    Tensor<float> e(Shape{3, 2}, 1.0f);
    const std::vector<std::int64_t> one_class{7, 7, 7}, singletons{1, 2, 3};
    CHECK(loss.forward(e, one_class) == 0.0f);
    CHECK(loss.triplets() == 0);
    for (const float g : loss.backward()) CHECK(g == 0.0f);
    CHECK(loss.forward(e, singletons) == 0.0f);
    CHECK(loss.triplets() == 0);
}

TEST_CASE("TripletMarginLoss: identical embeddings stay finite") {
    // All four embeddings equal: d = sqrt(eps) everywhere, every triplet has loss = margin.
    TripletMarginLoss<float> loss({.margin = 0.5, .mining = TripletMining::batch_hard});
    Tensor<float> e(Shape{4, 3}, 0.25f);
    const std::vector<std::int64_t> labels{0, 0, 1, 1};
    CHECK(loss.forward(e, labels) == doctest::Approx(0.5));
    for (const float g : loss.backward()) CHECK(g == 0.0f);
}

TEST_CASE("TripletMarginLoss: non-finite embeddings give a NaN loss, not a satisfied batch") {
    // inf - inf distances are NaN; NaN > 0 is false, so every triplet passed for satisfied and
    // the loss read 0 with zero gradients: training went on with an overflowed network.
    Tensor<float> e(Shape{4, 2}, 1.0f);
    e[0] = std::numeric_limits<float>::infinity();
    e[5] = -std::numeric_limits<float>::infinity();
    const std::vector<std::int64_t> labels{0, 0, 1, 1};
    for (const auto mining : {TripletMining::batch_all, TripletMining::batch_hard, TripletMining::semi_hard}) {
        TripletMarginLoss<float> loss({.mining = mining});
        CHECK(std::isnan(loss.forward(e, labels)));
    }
    Tensor<float> triplets(Shape{3, 2}, 1.0f);
    triplets[2] = std::numeric_limits<float>::quiet_NaN();  // the positive
    CHECK(std::isnan(TripletMarginLoss<float>().forward_triplets(triplets)));
}

TEST_CASE("TripletMarginLoss: shapes and options are checked") {
    TripletMarginLoss<float> loss;
    Tensor<float> e(Shape{4, 3}), flat(Shape{12}), bad(Shape{4, 3});
    test::require_shape_error([&] { loss.forward(e, std::vector<std::int64_t>(3)); },
                              {"TripletMarginLoss", "3 labels", "[4, 3]"});
    test::require_shape_error([&] { loss.forward(flat, std::vector<std::int64_t>(12)); },
                              {"TripletMarginLoss", "[N, D]", "[12]"});
    test::require_shape_error([&] { loss.forward_triplets(bad); }, {"TripletMarginLoss", "[3B, D]", "[4, 3]"});
    // No rows, or rows without features: refused, not a loss of 0.
    Tensor<float> no_rows(Shape{0, 3}), no_features(Shape{4, 0});
    test::require_shape_error([&] { loss.forward(no_rows, std::vector<std::int64_t>{}); }, {"[N, D]", "[0, 3]"});
    test::require_shape_error([&] { loss.forward(no_features, std::vector<std::int64_t>(4)); }, {"[N, D]", "[4, 0]"});
    test::require_shape_error([&] { loss.forward_triplets(no_rows); }, {"[3B, D]", "[0, 3]"});
    CHECK_THROWS_AS(TripletMarginLoss<float>().backward(), std::logic_error);
    CHECK_THROWS_AS(TripletMarginLoss<float>({.margin = -1.0}), std::invalid_argument);
}

TEST_CASE("TripletMarginLoss: an eps that is 0 as a float is an error naming the value") {
    test::require_error<std::invalid_argument>([] { TripletMarginLoss<float>({.eps = 1e-300}); },
                                               {"TripletMarginLoss: eps 1e-300 is 0 or subnormal as a float"});
    test::require_error<std::invalid_argument>([] { TripletMarginLoss<float>({.eps = 0.0}); },
                                               {"TripletMarginLoss: eps must be a finite number > 0, got 0"});
    test::require_error<std::invalid_argument>(
        [] { TripletMarginLoss<float>({.eps = std::numeric_limits<double>::infinity()}); },
        {"TripletMarginLoss: eps", "got inf"});
    CHECK_NOTHROW(TripletMarginLoss<double>({.eps = 1e-300}));
}

TEST_CASE("TripletMarginLoss: a margin that is infinite as a float is an error naming the value") {
    // Checked only as a double, 1e39 passed and became an infinite margin as a float.
    test::require_error<std::invalid_argument>(
        [] { TripletMarginLoss<float>({.margin = 1e39}); },
        {"TripletMarginLoss: margin 1e+39 is out of range for float (at most 3.4028235e+38)"});
    test::require_error<std::invalid_argument>([] { TripletMarginLoss<float>({.margin = -0.5}); },
                                               {"TripletMarginLoss: margin must be non-negative and finite, got -0.5"});
    CHECK_NOTHROW(TripletMarginLoss<double>({.margin = 1e39}));
    // Margin 0 is allowed, so one that is 0 as a float is too.
    CHECK_NOTHROW(TripletMarginLoss<float>({.margin = 0.0}));
    CHECK_NOTHROW(TripletMarginLoss<float>({.margin = 1e-300}));
}
