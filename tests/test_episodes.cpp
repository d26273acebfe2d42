// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/eval/distance.hpp>
#include <siamese/eval/episodes.hpp>
#include <siamese/eval/pixel_baseline.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

using namespace siamese;

namespace {

/// Single-pixel images: image i has pixel values[i] and label labels[i]. The pixel scorer then
/// scores by -|difference|, so episodes on a number line can be worked out by hand.
data::LabelledImages line_set(const std::vector<int>& values, const std::vector<data::label_t>& labels) {
    std::vector<std::uint8_t> pixels(values.begin(), values.end());
    return data::LabelledImages(Shape{1, 1, 1}, pixels, labels);
}

/// `per_class` single-pixel images per class; the pixel is the label.
data::LabelledImages labelled_pixels(index_t classes, index_t per_class) {
    std::vector<int> values;
    std::vector<data::label_t> labels;
    for (index_t c = 0; c < classes; ++c)
        for (index_t k = 0; k < per_class; ++k) {
            values.push_back(static_cast<int>(c));
            labels.push_back(c);
        }
    return line_set(values, labels);
}

}  // namespace

TEST_CASE("a hand-built 3-way 1-shot episode") {
    // A = {0, 1}, B = {10, 11}, C = {4, 30}; each episode uses every image: one support and one
    // query per class. A and B queries always find their partner at distance 1. C's query is
    // always wrong: 4 is nearer A's support (3 or 4 away) than 30; 30 nearer B's (19 or 20) than 4.
    const auto set = line_set({0, 1, 10, 11, 4, 30}, {0, 0, 1, 1, 2, 2});
    eval::PixelScorer pixels(set);
    index_t calls = 0;
    auto scorer = [&](index_t q, std::span<const index_t> supports, std::span<double> out) {
        ++calls;
        CHECK(supports.size() == 3);
        for (const auto s : supports) CHECK(s != q);  // a query is never a support
        pixels(q, supports, out);
    };
    const auto r = eval::few_shot_accuracy(set, scorer, {.ways = 3, .shots = 1, .episodes = 40, .seed = 1});
    CHECK(r.accuracy == doctest::Approx(2.0 / 3));
    CHECK(r.ci95 == doctest::Approx(0.0));  // every episode scores exactly 2/3
    CHECK(r.episodes == 40);
    CHECK(r.queries == 120);
    CHECK(r.correct == 80);
    CHECK(calls == 120);
}

TEST_CASE("a hand-built 3-way 2-shot episode: mean and max aggregation differ") {
    // A = {0, 0, 0}, B = {100, 100, 100}, C = {150, 151, 255}; two supports and one query per
    // class use every image. A and B are always right. C's query 150 or 151 has a support 1
    // away (max: right) but the mean of its supports, (1 + 105) / 2 or (1 + 104) / 2, is worse
    // than B's 50 or 51 (mean: wrong). C's query 255 is 104 / 104.5 from C's supports and 155
    // from B's: right either way.
    const auto set = line_set({0, 0, 0, 100, 100, 100, 150, 151, 255}, {0, 0, 0, 1, 1, 1, 2, 2, 2});
    eval::PixelScorer pixels(set);
    const auto by_max = eval::few_shot_accuracy(
        set, pixels, {.ways = 3, .shots = 2, .episodes = 60, .seed = 2, .aggregate = eval::ShotAggregate::max});
    CHECK(by_max.accuracy == 1.0);
    CHECK(by_max.shots == 2);

    index_t far_queries = 0;
    auto counting = [&](index_t q, std::span<const index_t> supports, std::span<double> out) {
        CHECK(supports.size() == 6);
        for (std::size_t k = 0; k < 3; ++k) {  // supports come class by class
            CHECK(set.label(supports[2 * k]) == set.label(supports[2 * k + 1]));
        }
        far_queries += set.image(q)[0] == 255;
        pixels(q, supports, out);
    };
    const auto by_mean = eval::few_shot_accuracy(
        set, counting, {.ways = 3, .shots = 2, .episodes = 60, .seed = 2, .aggregate = eval::ShotAggregate::mean});
    CHECK(by_mean.correct == 2 * 60 + far_queries);
    CHECK(by_mean.accuracy == doctest::Approx(static_cast<double>(2 * 60 + far_queries) / 180.0));
    CHECK(far_queries > 5);  // about a third of the 60 episodes
    CHECK(far_queries < 35);
    CHECK(by_mean.ci95 > 0.0);
}

TEST_CASE("few_shot_accuracy: chance level, queries per episode, determinism") {
    const auto set = labelled_pixels(10, 6);
    auto blind = [](index_t, std::span<const index_t>, std::span<double> out) {
        std::fill(out.begin(), out.end(), 0.0);
    };
    // One query per class: a blind scorer picks the episode's first class, right 1 time in N.
    const auto per_class = eval::few_shot_accuracy(set, blind, {.ways = 5, .shots = 2, .episodes = 30, .seed = 3});
    CHECK(per_class.accuracy == doctest::Approx(0.2));
    CHECK(per_class.queries == 150);

    const auto per_episode = eval::few_shot_accuracy(
        set, blind, {.ways = 5, .shots = 1, .queries_per_episode = 1, .episodes = 5000, .seed = 4});
    CHECK(per_episode.queries == 5000);
    CHECK(per_episode.accuracy == doctest::Approx(0.2).epsilon(0.1));
    // 0/1 outcomes: the interval is 1.96 s / sqrt(n) with s the sample standard deviation.
    const double p = per_episode.accuracy;
    CHECK(per_episode.ci95 == doctest::Approx(1.96 * std::sqrt(p * (1 - p) * 5000.0 / 4999.0 / 5000.0)));

    eval::PixelScorer pixels(set);
    const eval::FewShotOptions o{.ways = 4, .shots = 3, .queries_per_class = 2, .episodes = 50, .seed = 5};
    const auto a = eval::few_shot_accuracy(set, pixels, o);
    const auto b = eval::few_shot_accuracy(set, pixels, o);
    CHECK(a.accuracy == 1.0);  // identical pixels within a class, distinct across
    CHECK(a.queries == 50 * 4 * 2);
    CHECK(a.correct == b.correct);

    // Queries per episode beyond one class's spare images spread over the others.
    const auto many = eval::few_shot_accuracy(
        set, pixels, {.ways = 3, .shots = 5, .queries_per_episode = 3, .episodes = 20, .seed = 6});
    CHECK(many.queries == 60);
    // Every class has one spare image, so no 3 classes hold 4 queries: refused before scoring.
    test::require_error<std::invalid_argument>(
        [&] {
            (void)eval::few_shot_accuracy(set, pixels,
                                          {.ways = 3, .shots = 5, .queries_per_episode = 4, .episodes = 1, .seed = 6});
        },
        {"few_shot_accuracy", "queries_per_episode = 4", "beyond the supports (5 per class)",
         "no 3 classes of the set"});
}

TEST_CASE("few_shot_accuracy: episodes drawn only among those whose classes hold their queries") {
    // Eleven classes of one image (supports only) and one of two: a 10-way one-shot episode can
    // take its query only from class 11, and episodes without class 11 are drawn again.
    std::vector<int> values;
    std::vector<data::label_t> labels;
    for (data::label_t c = 0; c < 12; ++c) {
        values.push_back(static_cast<int>(c));
        labels.push_back(c);
    }
    values.push_back(11);
    labels.push_back(11);
    const auto set = line_set(values, labels);
    std::map<data::label_t, int> query_classes;
    eval::PixelScorer pixels(set);
    auto recording = [&](index_t query, std::span<const index_t> supports, std::span<double> out) {
        ++query_classes[set.label(query)];
        pixels(query, supports, out);
    };
    const auto r =
        eval::few_shot_accuracy(set, recording, {.ways = 10, .shots = 1, .queries_per_episode = 1, .episodes = 300});
    CHECK(r.queries == 300);
    CHECK(r.accuracy == 1.0);  // the query's pixel equals its support's
    CHECK(query_classes == std::map<data::label_t, int>{{11, 300}});

    // Within groups: group 0 (classes 0..4, one image each) can never give a query, so every
    // episode comes from group 1 (classes 5..11, class 11 with its second image).
    query_classes.clear();
    eval::FewShotOptions grouped{.ways = 3, .shots = 1, .queries_per_episode = 1, .episodes = 100};
    grouped.group_of = [](data::label_t l) { return static_cast<std::int64_t>(l >= 5); };
    CHECK(eval::few_shot_accuracy(set, recording, grouped).queries == 100);
    CHECK(query_classes == std::map<data::label_t, int>{{11, 100}});

    // Two queries per episode, but no two classes hold two spare images: refused up front.
    test::require_error<std::invalid_argument>(
        [&] { (void)eval::few_shot_accuracy(set, pixels, {.ways = 10, .queries_per_episode = 2}); },
        {"queries_per_episode = 2", "no 10 classes of the set have that many"});
}

TEST_CASE("few_shot_accuracy: episodes within groups") {
    // 12 classes in 3 groups of 4 (group = label / 4); 3-way episodes must stay inside one group.
    const auto set = labelled_pixels(12, 3);
    std::set<data::label_t> groups_seen;
    auto scorer = [&](index_t, std::span<const index_t> supports, std::span<double> out) {
        std::set<data::label_t> groups;
        for (const auto s : supports) groups.insert(set.label(s) / 4);
        CHECK(groups.size() == 1);
        groups_seen.insert(*groups.begin());
        std::fill(out.begin(), out.end(), 0.0);
    };
    eval::FewShotOptions o{.ways = 3, .episodes = 60, .seed = 7};
    o.group_of = [](data::label_t l) { return static_cast<std::int64_t>(l / 4); };
    (void)eval::few_shot_accuracy(set, scorer, o);
    CHECK(groups_seen.size() == 3);

    // Through a table; groups too small for the episode are skipped, all too small is an error.
    std::map<data::label_t, std::int64_t> table;
    for (data::label_t l = 0; l < 12; ++l) table[l] = l < 10 ? l / 5 : 9;  // groups of 5, 5 and 2
    o.group_of = eval::group_from_map(table);
    o.ways = 5;
    groups_seen.clear();
    auto by_table = [&](index_t, std::span<const index_t> supports, std::span<double> out) {
        std::set<std::int64_t> groups;
        for (const auto s : supports) groups.insert(table[set.label(s)]);
        CHECK(groups.size() == 1);
        CHECK(*groups.begin() != 9);
        std::fill(out.begin(), out.end(), 0.0);
    };
    (void)eval::few_shot_accuracy(set, by_table, o);
    o.ways = 6;
    CHECK_THROWS_AS((void)eval::few_shot_accuracy(set, by_table, o), std::invalid_argument);
    table.erase(3);
    o.group_of = eval::group_from_map(table);
    CHECK_THROWS_AS((void)eval::few_shot_accuracy(set, by_table, o), std::invalid_argument);
}

TEST_CASE("few_shot_accuracy: bad options and scorers") {
    const auto set = labelled_pixels(4, 3);
    eval::PixelScorer pixels(set);
    CHECK_THROWS_AS((void)eval::few_shot_accuracy(set, pixels, {.ways = 1}), std::invalid_argument);
    CHECK_THROWS_AS((void)eval::few_shot_accuracy(set, pixels, {.ways = 5}), std::invalid_argument);
    CHECK_THROWS_AS((void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .shots = 0}), std::invalid_argument);
    CHECK_THROWS_AS((void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .shots = 3}),
                    std::invalid_argument);  // 3 supports + 1 query > 3 images
    CHECK_THROWS_AS((void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .queries_per_class = 0}),
                    std::invalid_argument);
    auto nan_scorer = [](index_t, std::span<const index_t>, std::span<double> out) {
        std::fill(out.begin(), out.end(), std::nan(""));
    };
    CHECK_THROWS_WITH_AS((void)eval::few_shot_accuracy(set, nan_scorer, {.ways = 2, .episodes = 1}),
                         doctest::Contains("the scorer returned NaN for query image"), std::invalid_argument);
    // Under max aggregation a NaN beside a number is skipped by the maximum: the scores
    // themselves are checked, not only each class's aggregate.
    auto some_nan = [](index_t, std::span<const index_t>, std::span<double> out) {
        for (std::size_t k = 0; k < out.size(); ++k) out[k] = k % 2 == 0 ? 1.0 : std::nan("");
    };
    CHECK_THROWS_WITH_AS(
        (void)eval::few_shot_accuracy(set, some_nan,
                                      {.ways = 2, .shots = 2, .episodes = 1, .aggregate = eval::ShotAggregate::max}),
        doctest::Contains("the scorer returned NaN for query image"), std::invalid_argument);
    // +inf and -inf among one class's supports average to NaN, which lost every comparison
    // (an accuracy of chance, without a word).
    auto infinite_scorer = [](index_t, std::span<const index_t>, std::span<double> out) {
        for (std::size_t k = 0; k < out.size(); ++k)
            out[k] = k % 2 == 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    };
    CHECK_THROWS_WITH_AS((void)eval::few_shot_accuracy(set, infinite_scorer, {.ways = 2, .shots = 2, .episodes = 5}),
                         doctest::Contains("the scores of a class average to NaN for query image"),
                         std::invalid_argument);
}

TEST_CASE("few_shot_accuracy: shots or queries beyond every class, episodes below 1") {
    const auto set = labelled_pixels(4, 3);
    eval::PixelScorer pixels(set);
    constexpr index_t huge = std::numeric_limits<index_t>::max();
    using test::require_error;
    // Checked before shots + queries_per_class is formed, which would overflow.
    require_error<std::invalid_argument>(
        [&] { (void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .shots = huge}); },
        {"few_shot_accuracy", "shots = 9223372036854775807", "largest class has 3 images"});
    require_error<std::invalid_argument>(
        [&] { (void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .queries_per_class = huge}); },
        {"few_shot_accuracy", "queries_per_class = 9223372036854775807", "largest class has 3 images"});
    require_error<std::invalid_argument>(
        [&] { (void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .shots = 4, .queries_per_episode = 1}); },
        {"few_shot_accuracy", "shots = 4", "largest class has 3 images"});
    // As many shots, or queries per class, as the largest class has images is within it: the
    // message is about the sum, or about the queries per episode that no class can spare.
    require_error<std::invalid_argument>(
        [&] { (void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .shots = 3}); },
        {"few_shot_accuracy: 2-way episodes need 2 classes with at least 4 images (3 supports + 1 queries)"});
    require_error<std::invalid_argument>(
        [&] { (void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .queries_per_class = 3}); },
        {"few_shot_accuracy: 2-way episodes need 2 classes with at least 4 images (1 supports + 3 queries)"});
    require_error<std::invalid_argument>(
        [&] { (void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .shots = 3, .queries_per_episode = 1}); },
        {"few_shot_accuracy: no class has an image beyond its 3 supports to serve as a query"});
    // Within the largest class but with no room for the queries: the usual message.
    require_error<std::invalid_argument>(
        [&] { (void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .shots = 2, .queries_per_class = 2}); },
        {"few_shot_accuracy", "at least 4 images"});
    require_error<std::invalid_argument>(
        [&] { (void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .episodes = 0}); },
        {"few_shot_accuracy", "episodes must be at least 1", "got 0"});
    require_error<std::invalid_argument>(
        [&] { (void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .episodes = -5}); },
        {"few_shot_accuracy", "episodes must be at least 1", "got -5"});
    // The limits themselves are fine: every image of a class used, one episode.
    const auto r = eval::few_shot_accuracy(set, pixels, {.ways = 4, .shots = 2, .queries_per_class = 1, .episodes = 1});
    CHECK(r.accuracy == 1.0);
    CHECK(r.episodes == 1);
}

TEST_CASE("few_shot_accuracy: a DistanceScorer on embeddings of a smaller set throws shape_error") {
    const auto small = labelled_pixels(2, 2), big = labelled_pixels(4, 3);
    const auto e_small = eval::pixel_embeddings<float>(small);
    test::require_shape_error(
        [&] { (void)eval::few_shot_accuracy(big, eval::DistanceScorer<float>(e_small), {.ways = 2, .episodes = 5}); },
        {"DistanceScorer", "out of range for embeddings [4, 1]"});
    // Embeddings of the evaluated set itself agree with the pixel scorer.
    const auto e_big = eval::pixel_embeddings<float>(big);
    const eval::FewShotOptions o{.ways = 3, .episodes = 20, .seed = 5};
    CHECK(eval::few_shot_accuracy(big, eval::DistanceScorer<float>(e_big), o).correct ==
          eval::few_shot_accuracy(big, eval::PixelScorer(big), o).correct);
}
