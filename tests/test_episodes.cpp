// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/data/class_members.hpp>
#include <siamese/eval/distance.hpp>
#include <siamese/eval/episodes.hpp>
#include <siamese/eval/pixel_baseline.hpp>
#include <siamese/eval/query_holding_classes.hpp>
#include <siamese/random.hpp>

#include <algorithm>
#include <cmath>
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

TEST_CASE("few_shot_accuracy: episodes whose classes hold the queries are drawn directly when they are rare") {
    // 2000 classes of one image and 3 of two: only those 3 classes together hold 3 queries, one
    // 3-way draw in C(2003, 3) = 1.3e9. Drawing whole episodes until one held them took minutes.
    constexpr int singles = 2000;
    std::vector<int> values;
    std::vector<data::label_t> labels;
    for (data::label_t c = 0; c < singles + 3; ++c) {
        for (int k = 0; k < (c < singles ? 1 : 2); ++k) {
            values.push_back(static_cast<int>(c % 200));
            labels.push_back(c);
        }
    }
    const auto set = line_set(values, labels);
    index_t calls = 0;
    std::vector<index_t> last_supports;
    auto checking = [&](index_t query, std::span<const index_t> supports, std::span<double> out) {
        ++calls;
        REQUIRE(supports.size() == 3);
        std::set<data::label_t> classes;
        for (const auto s : supports) {
            CHECK(s != query);  // never the support image itself
            CHECK(set.label(s) >= singles);
            classes.insert(set.label(s));
        }
        CHECK(classes.size() == 3);                   // three distinct classes
        CHECK(classes.count(set.label(query)) == 1);  // the query of one of them
        std::fill(out.begin(), out.end(), 0.0);
    };
    // Drawn whole until they held the queries, these episodes took many minutes (a few ms now;
    // speed is the benchmarks' business, so no clock here: a regression shows as a hung test).
    const auto r = eval::few_shot_accuracy(
        set, checking, {.ways = 3, .shots = 1, .queries_per_episode = 3, .episodes = 20, .seed = 1});
    CHECK(r.queries == 60);
    CHECK(calls == 60);

    // Sets that mix richer classes and single-image ones: 2 queries from a class of three spare
    // images, or from two of one; the episodes stay valid and every query has a spare image.
    values.push_back(199);
    values.push_back(199);
    values.push_back(199);
    values.push_back(199);
    for (int k = 0; k < 4; ++k) labels.push_back(singles + 3);
    const auto mixed = line_set(values, labels);
    std::set<data::label_t> query_classes;
    auto valid = [&](index_t query, std::span<const index_t> supports, std::span<double> out) {
        std::set<data::label_t> classes;
        for (const auto s : supports) {
            CHECK(s != query);
            classes.insert(mixed.label(s));
        }
        CHECK(classes.size() == 3);
        CHECK(classes.count(mixed.label(query)) == 1);
        query_classes.insert(mixed.label(query));
        std::fill(out.begin(), out.end(), 0.0);
    };
    const auto m = eval::few_shot_accuracy(
        mixed, valid, {.ways = 3, .shots = 1, .queries_per_episode = 2, .episodes = 200, .seed = 2});
    CHECK(m.queries == 400);
    CHECK(query_classes.count(singles + 3) == 1);  // in most of the sets: C(2003, 2) of about C(2003, 2) + 6001
    CHECK(*query_classes.begin() >= singles);      // never a class with no image beyond its support
}

TEST_CASE("QueryHoldingClasses: uniform among the sets of classes that hold the queries, in random order") {
    // Seven classes; their spare images: 0, 0, 1, 2, 0, 3, 1. Ordered triples holding 3 queries:
    // counted by hand below; each should come up about draws / triples times, the others never.
    const std::vector<index_t> pool{10, 11, 12, 13, 14, 15, 16}, spare{0, 0, 1, 2, 0, 3, 1};
    eval::detail::QueryHoldingClasses draw(pool, spare, 3, 3);
    std::map<std::vector<index_t>, int> seen;
    Rng rng(7);
    constexpr int draws = 60000;
    std::vector<index_t> chosen(3);
    for (int i = 0; i < draws; ++i) {
        draw.draw(rng, chosen);
        ++seen[chosen];
    }
    std::map<index_t, index_t> spare_of;
    for (std::size_t i = 0; i < pool.size(); ++i) spare_of[pool[i]] = spare[i];
    int holding = 0;
    for (const auto& [triple, count] : seen) {
        CHECK(std::set<index_t>(triple.begin(), triple.end()).size() == 3);
        CHECK(spare_of[triple[0]] + spare_of[triple[1]] + spare_of[triple[2]] >= 3);
    }
    for (const auto a : pool)
        for (const auto b : pool)
            for (const auto c : pool)
                holding += a != b && b != c && a != c && spare_of[a] + spare_of[b] + spare_of[c] >= 3;
    CHECK(holding == 132);
    CHECK(static_cast<int>(seen.size()) == holding);
    // Each count is binomial(draws, 1 / 132): mean 455, standard deviation 21. Six of them.
    const double expected = static_cast<double>(draws) / holding;
    for (const auto& [triple, count] : seen) CHECK(std::abs(count - expected) < 6 * std::sqrt(expected));

    test::require_error<std::invalid_argument>([&] { eval::detail::QueryHoldingClasses(pool, spare, 3, 7); },
                                               {"QueryHoldingClasses: no 3 classes hold 7 queries"});
}

TEST_CASE("few_shot_accuracy: where every draw holds the queries, episodes are drawn whole, as always") {
    // The draws of the MNIST and Omniglot figures: the pool's classes, each class's supports,
    // then each query's class among those with images left, from one stream. Written out here
    // so that a change to the draw shows.
    const auto set = labelled_pixels(6, 4);
    std::vector<std::vector<index_t>> calls;
    auto recording = [&](index_t query, std::span<const index_t> supports, std::span<double> out) {
        calls.emplace_back(1, query);
        calls.back().insert(calls.back().end(), supports.begin(), supports.end());
        std::fill(out.begin(), out.end(), 0.0);
    };
    (void)eval::few_shot_accuracy(set, recording,
                                  {.ways = 3, .shots = 2, .queries_per_episode = 4, .episodes = 3, .seed = 9});

    Rng rng(9);
    auto members = data::class_members(set);
    std::vector<index_t> pool{0, 1, 2, 3, 4, 5};
    std::vector<std::vector<index_t>> expected;
    for (int e = 0; e < 3; ++e) {
        std::vector<index_t> chosen(3), supports;
        std::vector<std::size_t> used(3, 2);
        for (std::size_t k = 0; k < 3; ++k) {
            chosen[k] = draw_next(pool, k, rng);
            auto& m = members[static_cast<std::size_t>(chosen[k])];
            for (std::size_t s = 0; s < 2; ++s) supports.push_back(draw_next(m, s, rng));
        }
        for (int q = 0; q < 4; ++q) {
            std::vector<std::size_t> open;
            for (std::size_t k = 0; k < 3; ++k)
                if (used[k] < 4) open.push_back(k);
            const std::size_t k = open[static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(open.size())))];
            expected.emplace_back(1, draw_next(members[static_cast<std::size_t>(chosen[k])], used[k]++, rng));
        }
        for (std::size_t q = expected.size() - 4; q < expected.size(); ++q)
            expected[q].insert(expected[q].end(), supports.begin(), supports.end());
    }
    CHECK(calls == expected);
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

TEST_CASE("few_shot_accuracy: infinite scores are ordered like numbers, as in episode_accuracy") {
    static constexpr double inf = std::numeric_limits<double>::infinity();
    const auto set = labelled_pixels(4, 3);
    // Log-probabilities: 0 for the query's class, -inf (probability 0) for the others.
    auto log_probability = [&](index_t query, std::span<const index_t> supports, std::span<double> out) {
        for (std::size_t k = 0; k < supports.size(); ++k)
            out[k] = set.label(supports[k]) == set.label(query) ? 0.0 : -inf;
    };
    for (const auto aggregate : {eval::ShotAggregate::mean, eval::ShotAggregate::max}) {
        CHECK(eval::few_shot_accuracy(set, log_probability,
                                      {.ways = 3, .shots = 2, .episodes = 20, .aggregate = aggregate})
                  .accuracy == 1.0);
    }
    // +inf for the query's class wins; -inf among a class's numbers makes its mean -inf, which loses.
    auto certain = [&](index_t query, std::span<const index_t> supports, std::span<double> out) {
        for (std::size_t k = 0; k < supports.size(); ++k)
            out[k] = set.label(supports[k]) == set.label(query) ? inf : k % 2 == 0 ? 5.0 : -inf;
    };
    const auto r = eval::few_shot_accuracy(set, certain, {.ways = 4, .shots = 2, .episodes = 20});
    CHECK(r.accuracy == 1.0);
    CHECK(r.queries == 80);
    // Every class at -inf: a tie, to the first class of the episode's random order, as with any
    // equal scores: about chance.
    auto impossible = [](index_t, std::span<const index_t>, std::span<double> out) {
        std::fill(out.begin(), out.end(), -inf);
    };
    const auto chance = eval::few_shot_accuracy(set, impossible, {.ways = 4, .episodes = 500, .seed = 3});
    CHECK(chance.accuracy == doctest::Approx(0.25));  // one query per class: the first class's is right
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
    // Each refused for what it is: shots 0 is not mistaken for a set without enough images, and a
    // negative query count is not read as 0 (queries_per_class).
    require_error<std::invalid_argument>([&] { (void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .shots = 0}); },
                                         {"few_shot_accuracy", "shots must be at least 1, got 0"});
    require_error<std::invalid_argument>(
        [&] { (void)eval::few_shot_accuracy(set, pixels, {.ways = 2, .queries_per_episode = -1}); },
        {"few_shot_accuracy", "queries_per_episode must not be negative"});
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
