// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/eval/roc.hpp>
#include <siamese/eval/threshold.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <span>
#include <stdexcept>
#include <vector>

using namespace siamese;

namespace {

// Seven pairs with two ties (0.8 and 0.4, each one same and one different): P = 4, N = 3.
const std::vector<double> scores7{0.9, 0.8, 0.8, 0.6, 0.4, 0.4, 0.2};
const std::vector<int> labels7{1, 1, 0, 1, 0, 1, 0};

}  // namespace

TEST_CASE("roc_curve: a hand-computed curve with ties as diagonal steps") {
    const auto roc = eval::roc_curve(scores7, labels7);
    REQUIRE(roc.size() == 6);
    CHECK(roc.positives == 4);
    CHECK(roc.negatives == 3);
    const std::vector<double> fpr{0, 0, 1.0 / 3, 1.0 / 3, 2.0 / 3, 1};
    const std::vector<double> tpr{0, 0.25, 0.5, 0.75, 1, 1};
    const std::vector<double> thresholds{std::numeric_limits<double>::infinity(), 0.9, 0.8, 0.6, 0.4, 0.2};
    for (std::size_t i = 0; i < fpr.size(); ++i) {
        INFO("point " << i);
        CHECK(roc.fpr[i] == doctest::Approx(fpr[i]));
        CHECK(roc.tpr[i] == doctest::Approx(tpr[i]));
        CHECK(roc.thresholds[i] == thresholds[i]);
    }
}

TEST_CASE("roc_auc: hand-computed, equals the trapezoid area and the Mann-Whitney statistic") {
    // Negatives at 0.8, 0.4, 0.2 have 1.5, 3.5 and 4 positives above them (ties half): 9 / 12.
    CHECK(eval::roc_auc(scores7, labels7) == 0.75);
    const auto roc = eval::roc_curve(scores7, labels7);
    double trapezoid = 0;
    for (index_t i = 1; i < roc.size(); ++i) {
        const auto k = static_cast<std::size_t>(i);
        trapezoid += (roc.fpr[k] - roc.fpr[k - 1]) * (roc.tpr[k] + roc.tpr[k - 1]) / 2;
    }
    CHECK(trapezoid == doctest::Approx(0.75));

    // Random scores rounded to a coarse grid, so many ties, against the pairwise definition.
    Rng rng(7);
    for (int trial = 0; trial < 20; ++trial) {
        std::vector<float> s;
        std::vector<float> l;
        const int n = 5 + static_cast<int>(rng.uniform_int(60));
        for (int i = 0; i < n; ++i) {
            l.push_back(static_cast<float>(rng.uniform_int(2)));
            s.push_back(static_cast<float>(std::round(rng.uniform(0, 8) + l.back())));
        }
        l[0] = 0;
        l[1] = 1;
        double u = 0, p = 0, q = 0;
        for (int i = 0; i < n; ++i) {
            p += l[static_cast<std::size_t>(i)] == 1;
            q += l[static_cast<std::size_t>(i)] == 0;
            for (int j = 0; j < n; ++j) {
                const auto a = static_cast<std::size_t>(i), b = static_cast<std::size_t>(j);
                if (l[a] == 1 && l[b] == 0) u += s[a] > s[b] ? 1.0 : (s[a] == s[b] ? 0.5 : 0.0);
            }
        }
        CHECK(eval::roc_auc(s, l) == doctest::Approx(u / (p * q)).epsilon(1e-12));
    }
}

TEST_CASE("perfect, reversed and all-tied rankings") {
    const std::vector<double> s{3, 2, 1, 0};
    const std::vector<int> same_first{1, 1, 0, 0}, same_last{0, 0, 1, 1};
    CHECK(eval::roc_auc(s, same_first) == 1.0);
    CHECK(eval::equal_error_rate(s, same_first).rate == 0.0);
    CHECK(eval::equal_error_rate(s, same_first).threshold == 2.0);
    CHECK(eval::roc_auc(s, same_last) == 0.0);
    CHECK(eval::equal_error_rate(s, same_last).rate == 1.0);

    const std::vector<double> tied{0.5, 0.5, 0.5, 0.5, 0.5};
    const std::vector<int> l{1, 0, 0, 1, 0};
    CHECK(eval::roc_auc(tied, l) == 0.5);
    CHECK(eval::equal_error_rate(tied, l).rate == 0.5);
    const auto roc = eval::roc_curve(tied, l);
    CHECK(roc.size() == 2);  // one diagonal step from (0, 0) to (1, 1)
}

TEST_CASE("equal_error_rate: interpolated on the ROC polyline") {
    // FPR - FNR along the curve: -1, -3/4, -1/6, 1/12, ... The sign changes on the vertical
    // segment from (1/3, 1/2) to (1/3, 3/4), where FPR stays 1/3 and FNR falls from 1/2 to 1/4.
    const auto eer = eval::equal_error_rate(scores7, labels7);
    CHECK(eer.rate == doctest::Approx(1.0 / 3));
    CHECK(eer.threshold == 0.6);
    // A slanted crossing: ROC (0,0) -> (0.5, 0) -> (1, 1) crosses TPR = 1 - FPR at FPR = 2/3.
    const std::vector<double> s{2, 1, 1, 1};
    const std::vector<int> l{0, 1, 0, 1};  // N = 2, P = 2: points (0,0), (0.5,0), (1,1)
    CHECK(eval::equal_error_rate(s, l).rate == doctest::Approx(2.0 / 3));
    // A crossing past the middle of its segment: P = 3, N = 1, points (0,0) (0,1/3) (1,1/3) ...;
    // FPR - FNR goes from -2/3 to 1/3 along the horizontal segment, crossing at 2/3 of it.
    const std::vector<double> far{0.9, 0.5, 0.3, 0.1};
    const std::vector<int> far_labels{1, 0, 1, 1};
    CHECK(eval::equal_error_rate(far, far_labels).rate == doctest::Approx(2.0 / 3));
}

TEST_CASE("equal_error_rate: a point exactly on the crossing is the answer, whatever the rounding") {
    // ROC points (0,0) (0,1/3) (1/3,1/3) (1/3,2/3) ...: at threshold 4, FPR = FNR = 1/3 exactly,
    // though as doubles 1/3 and 1 - 2/3 differ in the last bit.
    const std::vector<double> s{6, 5, 4, 3, 2, 1};
    const std::vector<int> l{1, 0, 1, 1, 0, 0};
    const auto eer = eval::equal_error_rate(s, l);
    CHECK(eer.rate == 1.0 / 3);  // the point's own rate, not interpolated to it
    CHECK(eer.threshold == 4.0);
    // Same and different pairs in another order: (0,1/3) (0,2/3) (1/3,2/3), on the crossing at 4.
    const std::vector<int> reordered{1, 1, 0, 0, 1, 0};
    CHECK(eval::equal_error_rate(s, reordered).threshold == 4.0);
    // Reached from below, the crossing point was interpolated to: 0.19999999999999996, not 0.2.
    const std::vector<double> ten{10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    const std::vector<int> labels10{1, 1, 1, 1, 0, 1, 0, 0, 0, 0};
    CHECK(eval::equal_error_rate(ten, labels10).rate == 0.2);
}

TEST_CASE("equal_error_rate refuses a ROC curve that roc_curve could not have made") {
    auto roc = eval::roc_curve(scores7, labels7);
    auto short_tpr = roc;
    short_tpr.tpr.pop_back();
    CHECK_THROWS_WITH_AS((void)eval::equal_error_rate(short_tpr), doctest::Contains("expected one of each per point"),
                         std::invalid_argument);
    auto no_counts = roc;
    no_counts.negatives = 0;
    CHECK_THROWS_WITH_AS((void)eval::equal_error_rate(no_counts), doctest::Contains("it needs both"),
                         std::invalid_argument);
    for (const double bad : {std::numeric_limits<double>::quiet_NaN(), 1e30, -0.5}) {
        auto odd_rate = roc;
        odd_rate.fpr[2] = bad;
        CHECK_THROWS_WITH_AS((void)eval::equal_error_rate(odd_rate),
                             doctest::Contains("point 2 of the ROC curve has fpr"), std::invalid_argument);
    }
    // A curve of one's own whose first point is already on the crossing: that point, its threshold.
    eval::RocCurve on_crossing;
    on_crossing.fpr = {0.5, 1};
    on_crossing.tpr = {0.5, 1};
    on_crossing.thresholds = {std::numeric_limits<double>::infinity(), 0.3};
    on_crossing.positives = on_crossing.negatives = 2;
    const auto first = eval::equal_error_rate(on_crossing);
    CHECK(first.rate == 0.5);
    CHECK(std::isinf(first.threshold));
    // A single point has no segment to cross on.
    eval::RocCurve one_point = on_crossing;
    one_point.fpr = {0.5};
    one_point.tpr = {0.5};
    one_point.thresholds = {0.3};
    CHECK_THROWS_WITH_AS((void)eval::equal_error_rate(one_point),
                         "equal_error_rate: the ROC curve has fewer than 2 points", std::invalid_argument);
    auto odd_tpr = roc;
    odd_tpr.tpr[2] = 1.5;
    CHECK_THROWS_WITH_AS((void)eval::equal_error_rate(odd_tpr), doctest::Contains("and tpr 1.5; rates are in [0, 1]"),
                         std::invalid_argument);
    CHECK(eval::equal_error_rate(roc).threshold == 0.6);
}

TEST_CASE("equal_error_rate refuses a curve that never reaches the crossing, or goes back") {
    // Both gave their last point as the EER: 0.25 for a curve cut at FPR 0.25 (where FNR is 0.5),
    // and 0, a perfect verifier, for the whole curve listed from (1, 1) down to (0, 0).
    const double inf = std::numeric_limits<double>::infinity();
    eval::RocCurve partial;
    partial.fpr = {0, 0.25};
    partial.tpr = {0, 0.5};
    partial.thresholds = {inf, 0.7};
    partial.positives = 2;
    partial.negatives = 4;
    test::require_error<std::invalid_argument>([&] { (void)eval::equal_error_rate(partial); },
                                               {"equal_error_rate: the ROC curve never rises across TPR = 1 - FPR",
                                                "-1 at its first point and -0.25 at its last"});
    eval::RocCurve reversed = partial;
    reversed.fpr = {1, 0.25, 0};
    reversed.tpr = {1, 0.5, 0};
    reversed.thresholds = {0.1, 0.7, inf};
    test::require_error<std::invalid_argument>(
        [&] { (void)eval::equal_error_rate(reversed); },
        {"equal_error_rate: the ROC curve goes back at point 1 (fpr 1 -> 0.25, tpr 1 -> 0.5)"});
    // A curve that rises across the line, then dips back below it: two crossings, refused too.
    eval::RocCurve dip = partial;
    dip.fpr = {0, 0.25, 0.75, 0.75, 1};
    dip.tpr = {0, 0.5, 0.5, 0, 1};
    dip.thresholds = {inf, 0.7, 0.5, 0.4, 0.1};
    test::require_error<std::invalid_argument>([&] { (void)eval::equal_error_rate(dip); },
                                               {"goes back at point 3 (fpr 0.75 -> 0.75, tpr 0.5 -> 0)"});
    // A curve that starts past the crossing stops short of it too (at its beginning).
    eval::RocCurve late = partial;
    late.fpr = {0.5, 1};
    late.tpr = {1, 1};
    late.thresholds = {0.5, 0.1};
    test::require_error<std::invalid_argument>([&] { (void)eval::equal_error_rate(late); },
                                               {"never rises across", "0.5 at its first point and 1 at its last"});
    // The same points in roc_curve's order: the crossing on the second segment, at 0.4.
    std::reverse(reversed.fpr.begin(), reversed.fpr.end());
    std::reverse(reversed.tpr.begin(), reversed.tpr.end());
    std::reverse(reversed.thresholds.begin(), reversed.thresholds.end());
    CHECK(eval::equal_error_rate(reversed).rate == doctest::Approx(0.4));
}

TEST_CASE("equal_error_rate: pair counts whose products pass int64 are compared on the rates instead") {
    // 2^32 pairs of each label: fp * positives would overflow, so the sign comes from the doubles.
    eval::RocCurve huge;
    huge.fpr = {0, 0.25, 1};
    huge.tpr = {0, 0.5, 1};
    huge.thresholds = {std::numeric_limits<double>::infinity(), 0.7, 0.1};
    huge.positives = huge.negatives = index_t{1} << 32;
    // FPR - FNR: -1, -0.25, +1; the crossing is 1/5 of the way along the second segment.
    const auto eer = eval::equal_error_rate(huge);
    CHECK(eer.rate == doctest::Approx(0.4));
    CHECK(eer.threshold == 0.1);
    auto small = huge;
    small.positives = small.negatives = 4;
    CHECK(eval::equal_error_rate(small).rate == eer.rate);
}

TEST_CASE("best_accuracy_threshold and calibrated_accuracy on a constructed split") {
    // Cutting below 0.6 calls .9, .8, .8, .6 same (3 right) and .4, .4, .2 different (2 right).
    const auto choice = eval::best_accuracy_threshold(scores7, labels7);
    CHECK(choice.threshold == doctest::Approx(0.5));  // midway between 0.6 and 0.4
    CHECK(choice.accuracy == doctest::Approx(5.0 / 7));
    CHECK(eval::accuracy_at_threshold(scores7, labels7, choice.threshold) == doctest::Approx(5.0 / 7));

    const std::vector<float> held_scores{0.55f, 0.45f, 0.7f, 0.3f, 0.52f};
    const std::vector<float> held_labels{1, 0, 1, 0, 0};  // 0.52 is a different pair above 0.5
    const auto r = eval::calibrated_accuracy(scores7, labels7, held_scores, held_labels);
    CHECK(r.threshold == doctest::Approx(0.5));
    CHECK(r.calibration_accuracy == doctest::Approx(5.0 / 7));
    CHECK(r.accuracy == doctest::Approx(0.8));
    CHECK(r.calibration_pairs == 7);
    CHECK(r.held_out_pairs == 5);

    // One label only: everything "same" (or "different") is perfect.
    const std::vector<double> s{1, 2, 3};
    CHECK(eval::best_accuracy_threshold(s, std::vector<int>{1, 1, 1}).threshold ==
          -std::numeric_limits<double>::infinity());
    CHECK(eval::best_accuracy_threshold(s, std::vector<int>{0, 0, 0}).threshold ==
          std::numeric_limits<double>::infinity());
    CHECK(eval::best_accuracy_threshold(s, std::vector<int>{0, 0, 0}).accuracy == 1.0);
    // A perfect split cuts midway between the classes, and ties among the best keep the highest cut.
    CHECK(eval::best_accuracy_threshold(std::vector<double>{4, 3, 1, 0}, std::vector<int>{1, 1, 0, 0}).threshold ==
          2.0);
    CHECK(eval::best_accuracy_threshold(std::vector<double>{4, 3, 2, 1}, std::vector<int>{1, 0, 1, 0}).threshold ==
          3.5);
}

TEST_CASE("best_accuracy_threshold: a cut between adjacent doubles or huge scores stays exact and finite") {
    // Between 1 and the next double up, the midpoint rounds to 1 itself: "score >= 1" would call
    // the different pair "same", so the cut stays on the upper score.
    const double above_one = std::nextafter(1.0, 2.0);
    const std::vector<double> adjacent{above_one, 1.0};
    const std::vector<int> labels{1, 0};
    const auto choice = eval::best_accuracy_threshold(adjacent, labels);
    CHECK(choice.accuracy == 1.0);
    CHECK(choice.threshold == above_one);
    CHECK(eval::accuracy_at_threshold(adjacent, labels, choice.threshold) == 1.0);
    // The midpoint of two huge scores is computed without overflowing to infinity.
    const double huge = std::numeric_limits<double>::max();
    const std::vector<double> far{huge, huge / 2};
    const auto far_choice = eval::best_accuracy_threshold(far, labels);
    CHECK(far_choice.threshold == doctest::Approx(0.75 * huge));
    CHECK(eval::accuracy_at_threshold(far, labels, far_choice.threshold) == 1.0);
}

TEST_CASE("verification metrics accept any number ranges and reject bad input") {
    const std::array<float, 4> s{0.1f, 0.9f, 0.4f, 0.6f};
    const std::array<double, 4> l{0, 1, 0, 1};
    CHECK(eval::roc_auc(s, l) == 1.0);
    CHECK(eval::roc_auc(std::span<const float>(s), std::span<const double>(l)) == 1.0);

    test::require_shape_error([&] { (void)eval::roc_auc(s, std::vector<int>{1, 0}); }, {"[4]", "[2]"});
    CHECK_THROWS_AS((void)eval::roc_auc(s, std::vector<int>{1, 0, 2, 1}), std::invalid_argument);
    CHECK_THROWS_AS((void)eval::roc_auc(std::vector<double>{0.1, std::nan("")}, std::vector<int>{1, 0}),
                    std::invalid_argument);
    CHECK_THROWS_AS((void)eval::roc_curve(s, std::vector<int>{1, 1, 1, 1}), std::invalid_argument);
    CHECK_THROWS_AS((void)eval::best_accuracy_threshold(std::vector<double>{}, std::vector<int>{}),
                    std::invalid_argument);
}

TEST_CASE("calibrated_accuracy and equal_error_rate name themselves and the split at fault") {
    const std::vector<double> held_scores{0.5, 0.4}, none{};
    test::require_error<std::invalid_argument>(
        [&] {
            (void)eval::calibrated_accuracy(scores7, labels7, held_scores, std::vector<int>{1, 2});
        },
        {"calibrated_accuracy (held-out split)", "label"});
    test::require_error<std::invalid_argument>(
        [&] { (void)eval::calibrated_accuracy(scores7, labels7, none, std::vector<int>{}); },
        {"calibrated_accuracy (held-out split): no pairs"});
    test::require_error<std::invalid_argument>(
        [&] {
            (void)eval::calibrated_accuracy(none, std::vector<int>{}, held_scores, std::vector<int>{1, 0});
        },
        {"calibrated_accuracy: no calibration pairs"});
    test::require_error<std::invalid_argument>(
        [&] {
            (void)eval::equal_error_rate(held_scores, std::vector<int>{1, 1});
        },
        {"equal_error_rate: needs pairs of both labels"});
}

TEST_CASE("accuracy_at_threshold: a NaN threshold is rejected, infinities are not") {
    const std::vector<double> s{0.9, 0.1, 0.8, 0.3}, l{1, 0, 1, 0};
    test::require_error<std::invalid_argument>(
        [&] { (void)eval::accuracy_at_threshold(s, l, std::numeric_limits<double>::quiet_NaN()); },
        {"accuracy_at_threshold", "threshold", "nan"});
    CHECK(eval::accuracy_at_threshold(s, l, 0.5) == 1.0);
    CHECK(eval::accuracy_at_threshold(s, l, std::numeric_limits<double>::infinity()) == 0.5);   // nothing "same"
    CHECK(eval::accuracy_at_threshold(s, l, -std::numeric_limits<double>::infinity()) == 0.5);  // everything "same"
}
