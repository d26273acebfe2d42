// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/eval/confidence.hpp>
#include <siamese/eval/distance.hpp>
#include <siamese/eval/embed.hpp>
#include <siamese/eval/embedding_scorer.hpp>
#include <siamese/eval/episode_accuracy.hpp>
#include <siamese/eval/hausdorff.hpp>
#include <siamese/eval/one_shot.hpp>
#include <siamese/eval/pair_accuracy.hpp>
#include <siamese/eval/pixel_baseline.hpp>
#include <siamese/eval/roc.hpp>
#include <siamese/eval/threshold.hpp>
#include <siamese/models/seed_cnn.hpp>
#include <siamese/models/siamese.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

using namespace siamese;

namespace {

/// `per_class` 1x2x2 images for each label in `labels`; pixel 0 holds the label, pixel 1 the
/// image's index, so a scorer can read both.
data::LabelledImages tiny_set(const std::vector<data::label_t>& labels, index_t per_class) {
    std::vector<std::uint8_t> pixels;
    std::vector<data::label_t> image_labels;
    for (auto l : labels)
        for (index_t k = 0; k < per_class; ++k) {
            pixels.insert(pixels.end(),
                          {static_cast<std::uint8_t>(l), static_cast<std::uint8_t>(image_labels.size()), 0, 0});
            image_labels.push_back(l);
        }
    return data::LabelledImages(Shape{1, 2, 2}, pixels, image_labels);
}

/// A stand-in model whose embedding of an image is its pixels and whose logit says "same"
/// (same_logit) exactly when the first pixels (the labels) agree, plus `step` times the left
/// image's index.
struct LabelOracle {
    using value_type = float;
    float same_logit = 5, different_logit = -5, step = 0;
    Tensor<float> e, z;
    const Tensor<float>& embed(const Tensor<float>& x) {
        e.resize(Shape{x.dim(0), 4});
        std::copy_n(x.data(), x.size(), e.data());
        return e;
    }
    const Tensor<float>& logits_from_embeddings(const Tensor<float>& l, const Tensor<float>& r) {
        z.resize(Shape{l.dim(0), 1});
        for (index_t i = 0; i < l.dim(0); ++i)
            z[i] = (l(i, 0) == r(i, 0) ? same_logit : different_logit) + step * l(i, 1);
        return z;
    }
};

}  // namespace

TEST_CASE("embed_all embeds in chunks and keeps the order") {
    const auto set = tiny_set({3, 7, 9}, 5);
    LabelOracle model;
    const auto e = eval::embed_all(model, set, 4);
    REQUIRE(e.shape() == Shape{15, 4});
    for (index_t i = 0; i < 15; ++i) {
        CHECK(e(i, 0) == static_cast<float>(set.label(i)));
        CHECK(e(i, 1) == static_cast<float>(i));
    }
}

TEST_CASE("embed_all passes each chunk through prepare before the backbone, in image order") {
    const auto set = tiny_set({3, 7, 9}, 5);
    LabelOracle model;
    std::vector<index_t> chunk_sizes;
    const auto e = eval::embed_all(model, set, 4, [&](Tensor<float>& batch) {
        chunk_sizes.push_back(batch.dim(0));
        for (index_t i = 0; i < batch.dim(0); ++i) batch(i, 0, 1, 1) = static_cast<float>(chunk_sizes.size());
    });
    CHECK(chunk_sizes == std::vector<index_t>{4, 4, 4, 3});
    REQUIRE(e.shape() == Shape{15, 4});
    for (index_t i = 0; i < 15; ++i) {
        CHECK(e(i, 1) == static_cast<float>(i));          // the images, in order
        CHECK(e(i, 3) == static_cast<float>(i / 4 + 1));  // changed by their chunk's prepare
    }
}

TEST_CASE("pair_accuracy: a perfect model scores 1, a model that always says 'same' scores 0.5") {
    const auto set = tiny_set({0, 1, 2, 3}, 6);
    LabelOracle model;
    const auto e = eval::embed_all(model, set);
    data::PairSampler sampler(set, 1);
    const auto perfect = eval::pair_accuracy(model, e, sampler, 10, 20);
    CHECK(perfect.accuracy == 1.0);
    CHECK(perfect.pairs == 200);
    CHECK(perfect.probabilities.size() == 200);
    // Threshold above every probability: everything is called "different", right for half.
    const auto all_different = eval::pair_accuracy(model, e, sampler, 10, 20, 0.999);
    CHECK(all_different.accuracy == 0.5);
    // A probability equal to the threshold says "different" (strictly above, as the tutorial
    // counts): logit 0 is p = 0.5, and batches of 3 hold one different-class pair and two same.
    model.same_logit = model.different_logit = 0;
    const auto undecided = eval::pair_accuracy(model, e, sampler, 10, 3);
    CHECK(undecided.accuracy == doctest::Approx(1.0 / 3));
}

TEST_CASE("pair_accuracy's probabilities and labels feed the verification metrics") {
    const auto set = tiny_set({0, 1, 2, 3}, 6);
    LabelOracle model;
    const auto e = eval::embed_all(model, set);
    data::PairSampler calibration_sampler(set, 1), held_out_sampler(set, 2);
    const auto calibration = eval::pair_accuracy(model, e, calibration_sampler, 5, 20);
    const auto held_out = eval::pair_accuracy(model, e, held_out_sampler, 5, 20);
    CHECK(eval::roc_auc(calibration.probabilities, calibration.labels) == 1.0);
    CHECK(eval::equal_error_rate(calibration.probabilities, calibration.labels).rate == 0.0);
    const auto r = eval::calibrated_accuracy(calibration.probabilities, calibration.labels, held_out.probabilities,
                                             held_out.labels);
    CHECK(r.accuracy == 1.0);
    CHECK(r.threshold > 0.1);  // between the two probabilities the oracle gives
    CHECK(r.threshold < 0.9);
}

TEST_CASE("pair_accuracy's probabilities still rank pairs whose logits are far above 0") {
    // Same-class logits 20..21, different-class 18..19: as float, every probability was 1 and
    // the AUC 0.5; as double they stay apart (at the closest, 1 - 2.1e-9 against 1 - 5.8e-9).
    const auto set = tiny_set({0, 1, 2, 3}, 6);
    LabelOracle model;
    model.same_logit = 20;
    model.different_logit = 18;
    model.step = 1.0f / 24;
    const auto e = eval::embed_all(model, set);
    data::PairSampler sampler(set, 4);
    const auto r = eval::pair_accuracy(model, e, sampler, 5, 20);
    CHECK(r.accuracy == 0.5);  // every pair called "same" at threshold 0.5
    CHECK(eval::roc_auc(r.probabilities, r.labels) == 1.0);
}

TEST_CASE("pair_scores keeps a scorer's scores as they are: differences below float precision still rank") {
    const auto set = tiny_set({0, 1, 2, 3}, 6);
    // Same-class pairs score 1e-12 above the others: a distance-like score, far from 0 and 1,
    // whose ranking a float would lose (1 + 1e-12 rounds to 1).
    auto near_one = [&](index_t query, std::span<const index_t> candidates, std::span<double> out) {
        for (std::size_t k = 0; k < candidates.size(); ++k)
            out[k] = 1.0 + (set.label(query) == set.label(candidates[k]) ? 1e-12 : 0.0);
    };
    data::PairSampler sampler(set, 3);
    const eval::PairScores scored = eval::pair_scores(sampler, 4, 10, near_one);
    REQUIRE(scored.pairs == 40);
    REQUIRE(scored.scores.size() == 40);
    CHECK(scored.labels[0] == 0.0);  // the first half of a batch: different classes
    CHECK(scored.labels[9] == 1.0);
    CHECK(scored.scores[9] > scored.scores[0]);
    CHECK(eval::roc_auc(scored.scores, scored.labels) == 1.0);
}

TEST_CASE("one_shot_accuracy: a perfect scorer is always right, a blind one is right 1/N of the time") {
    const auto set = tiny_set({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 5);
    auto label_scorer = [&](index_t q, std::span<const index_t> supports, std::span<double> out) {
        for (std::size_t k = 0; k < supports.size(); ++k) {
            CHECK(supports[k] != q);  // the query is never its support image
            out[k] = set.label(supports[k]) == set.label(q) ? 1.0 : 0.0;
        }
    };
    const auto perfect = eval::one_shot_accuracy(set, label_scorer, {.ways = 10, .episodes = 300, .seed = 1});
    CHECK(perfect.accuracy == 1.0);
    CHECK(perfect.ci95 == 0.0);

    auto blind = [](index_t, std::span<const index_t>, std::span<double> out) {
        std::fill(out.begin(), out.end(), 0.0);
    };
    const auto chance = eval::one_shot_accuracy(set, blind, {.ways = 10, .episodes = 4000, .seed = 2});
    CHECK(chance.accuracy == doctest::Approx(0.1).epsilon(0.25));
    CHECK(chance.ci95 > 0.0);

    // Same seed, same result; the model-backed scorer agrees with the label scorer here.
    LabelOracle model;
    const auto e = eval::embed_all(model, set);
    eval::EmbeddingScorer scorer(model, e);
    const auto via_model = eval::one_shot_accuracy(set, scorer, {.ways = 4, .episodes = 200, .seed = 3});
    CHECK(via_model.accuracy == 1.0);
    CHECK(via_model.ways == 4);

    // The seed decides the episodes: the same seed shows the scorer the same supports, another
    // seed other ones.
    auto drawn = [&](std::uint64_t seed) {
        std::vector<index_t> seen;
        auto record = [&](index_t q, std::span<const index_t> supports, std::span<double> out) {
            seen.push_back(q);
            seen.insert(seen.end(), supports.begin(), supports.end());
            std::fill(out.begin(), out.end(), 0.0);
        };
        (void)eval::one_shot_accuracy(set, record, {.ways = 4, .episodes = 20, .seed = seed});
        return seen;
    };
    CHECK(drawn(5) == drawn(5));
    CHECK(drawn(5) != drawn(6));
}

TEST_CASE("one_shot_accuracy: a hand-built 3-way episode") {
    // Classes 0, 1, 2 with two images each; the scorer prefers supports whose index is even.
    // Whatever the draw, the prediction is the first even-indexed support, so we can predict the
    // outcome of each episode from the supports the scorer was shown.
    const auto set = tiny_set({0, 1, 2}, 2);
    index_t expected_correct = 0, episodes = 0;
    auto scorer = [&](index_t q, std::span<const index_t> supports, std::span<double> out) {
        std::set<data::label_t> labels;
        for (std::size_t k = 0; k < supports.size(); ++k) {
            labels.insert(set.label(supports[k]));
            out[k] = supports[k] % 2 == 0 ? 1.0 : 0.0;
        }
        CHECK(labels.size() == 3);  // one support per class
        std::size_t best = 0;
        for (std::size_t k = 1; k < supports.size(); ++k)
            if (out[k] > out[best]) best = k;
        expected_correct += set.label(supports[best]) == set.label(q);
        ++episodes;
    };
    const auto r = eval::one_shot_accuracy(set, scorer, {.ways = 3, .episodes = 50, .seed = 4});
    CHECK(episodes == 50);
    CHECK(r.accuracy == doctest::Approx(static_cast<double>(expected_correct) / 50.0));
    CHECK_THROWS_AS((void)eval::one_shot_accuracy(set, scorer, {.ways = 4}), std::invalid_argument);
}

TEST_CASE("embed_all: an empty set gives [0, D] from a model that knows D, [] from one that does not") {
    const data::LabelledImages none(Shape{1, 28, 28}, {}, {});
    Rng rng(0);
    Siamese model(make_seed_cnn<float>(rng), Shape{1, 28, 28}, rng);
    CHECK(eval::embed_all(model, none).shape() == Shape{0, 84});
    LabelOracle oracle;  // no embedding_dim(): nothing embedded, nothing to learn D from
    CHECK(eval::embed_all(oracle, none).shape() == Shape{});
}

TEST_CASE("embed_all: a chunk below 1 is rejected, naming it") {
    const auto set = tiny_set({3, 7}, 2);
    LabelOracle model;
    test::require_error<std::invalid_argument>([&] { (void)eval::embed_all(model, set, 0); },
                                               {"embed_all", "chunk", "got 0"});
    test::require_error<std::invalid_argument>([&] { (void)eval::embed_all(model, set, -1); },
                                               {"embed_all", "chunk", "got -1"});
    CHECK(eval::embed_all(model, set, 1).shape() == Shape{4, 4});  // the smallest chunk still works
}

TEST_CASE("gather_rows and EmbeddingScorer: indices beyond the embeddings throw shape_error") {
    Tensor<float> e(Shape{2, 3}), out;
    for (index_t i = 0; i < e.size(); ++i) e[i] = static_cast<float>(i);
    const std::vector<index_t> good{1, 0}, past{0, 5}, negative{-1};
    eval::gather_rows(e, std::span<const index_t>(good), out);
    REQUIRE(out.shape() == Shape{2, 3});
    CHECK(out(0, 0) == 3.0f);
    CHECK(out(1, 2) == 2.0f);
    test::require_shape_error([&] { eval::gather_rows(e, std::span<const index_t>(past), out); },
                              {"gather_rows", "index 5", "[2, 3]"});
    test::require_shape_error([&] { eval::gather_rows(e, std::span<const index_t>(negative), out); },
                              {"gather_rows", "index -1", "[2, 3]"});
    test::require_shape_error([&] { eval::gather_rows(Tensor<float>(Shape{6}), std::span<const index_t>(good), out); },
                              {"gather_rows", "[6]"});
    // A DistanceScorer needs at least one row and one column.
    for (const Shape& empty : {Shape{0, 3}, Shape{3, 0}}) {
        const Tensor<float> none(empty);
        test::require_shape_error([&] { (void)eval::DistanceScorer<float>(none); },
                                  {"DistanceScorer: expected embeddings [N, D] with N, D >= 1", empty.str()});
    }

    // Embeddings of a smaller set scoring episodes of a bigger one.
    const auto small = tiny_set({0, 1}, 2), big = tiny_set({0, 1, 2, 3}, 5);
    LabelOracle model;
    const auto e_small = eval::embed_all(model, small);
    eval::EmbeddingScorer scorer(model, e_small);
    test::require_shape_error([&] { (void)eval::one_shot_accuracy(big, scorer, {.ways = 2, .episodes = 5}); },
                              {"EmbeddingScorer", "out of range for embeddings [4, 4]"});
    // It keeps a reference to the embeddings: a temporary (embed_all's result, unnamed) would dangle.
    static_assert(!std::is_constructible_v<eval::EmbeddingScorer<LabelOracle>, LabelOracle&, Tensor<float>&&>);
    static_assert(std::is_constructible_v<eval::EmbeddingScorer<LabelOracle>, LabelOracle&, const Tensor<float>&>);
}

/// Calls check(scorer, name) for each of the library's four scorers, all built on one set of
/// four images whose pixel 0 (the label, 200 or 201) is light ink for the Hausdorff scorer.
template <class Check>
void for_every_scorer(Check check) {
    const auto set = tiny_set({200, 201}, 2);
    LabelOracle model;
    const auto e = eval::embed_all(model, set);
    eval::EmbeddingScorer head(model, e);
    const eval::DistanceScorer<float> distance(e);
    const eval::PixelScorer pixels(set);
    const eval::HausdorffScorer hausdorff(set, {.threshold = 128, .ink = eval::Ink::light});
    check(head, "EmbeddingScorer");
    check(distance, "DistanceScorer");
    check(pixels, "PixelScorer");
    check(hausdorff, "HausdorffScorer");
}

TEST_CASE("every scorer refuses an out span without one slot per candidate, before writing") {
    for_every_scorer([](auto& scorer, const char* name) {
        CAPTURE(name);
        const std::vector<index_t> candidates{1, 2, 3};
        for (const std::size_t slots : {std::size_t{0}, std::size_t{2}, std::size_t{4}}) {
            std::vector<double> out(slots, 7.0);
            test::require_shape_error([&] { scorer(0, std::span<const index_t>(candidates), std::span<double>(out)); },
                                      {name, "out has " + std::to_string(slots) + " slots for 3 candidates"});
            CHECK(std::all_of(out.begin(), out.end(), [](double v) { return v == 7.0; }));
        }
        std::vector<double> out(3, 7.0);  // one slot each: scored
        scorer(0, std::span<const index_t>(candidates), std::span<double>(out));
        CHECK(out[0] != 7.0);
    });
}

TEST_CASE("every scorer refuses an image index outside the set it was built on, naming itself, before writing") {
    // Episodes of a bigger set asked the pixel scorer for images it did not hold (the message
    // named LabelledImages), and the Hausdorff scorer threw std::out_of_range where the
    // embedding scorers throw shape_error.
    for_every_scorer([](auto& scorer, const char* name) {
        CAPTURE(name);
        for (const auto& query_last : {std::pair<index_t, index_t>{4, 1}, {0, 4}, {-1, 1}, {0, -1}}) {
            // Plain variables: the lambda below cannot capture a structured binding before clang 16.
            const index_t query = query_last.first, last = query_last.second;
            const std::vector<index_t> candidates{1, 2, last};
            std::vector<double> out(3, 7.0);
            const index_t bad = query == 0 ? last : query;
            test::require_shape_error(
                [&] { scorer(query, std::span<const index_t>(candidates), std::span<double>(out)); },
                {name, "image index " + std::to_string(bad) + " out of range for"});
            CHECK(std::all_of(out.begin(), out.end(), [](double v) { return v == 7.0; }));
        }
    });
    const auto set = tiny_set({200, 201}, 2);
    const eval::PixelScorer pixels(set);
    std::vector<double> out(1);
    test::require_shape_error([&] { pixels(0, std::vector<index_t>{9}, out); },
                              {"PixelScorer: image index 9 out of range for 4 images (built on another image set?)"});
}

TEST_CASE("pair_accuracy: embeddings of another image set are rejected before any pair is scored") {
    const auto set = tiny_set({0, 1, 2, 3}, 6), small = tiny_set({0, 1}, 2);
    LabelOracle model;
    const auto e_small = eval::embed_all(model, small);
    data::PairSampler sampler(set, 1);
    test::require_shape_error([&] { (void)eval::pair_accuracy(model, e_small, sampler, 5, 8); },
                              {"pair_accuracy", "[24, D]", "[4, 4]"});
    test::require_shape_error([&] { (void)eval::pair_accuracy(model, Tensor<float>(), sampler, 1, 4); },
                              {"pair_accuracy", "[24, D]"});
    // A bigger set's embeddings would not read past the end but pair the wrong images.
    const auto e_big = eval::embed_all(model, tiny_set({0, 1, 2, 3}, 7));
    test::require_shape_error([&] { (void)eval::pair_accuracy(model, e_big, sampler, 5, 8); },
                              {"pair_accuracy", "[24, D]", "[28, 4]"});
}

TEST_CASE("pair_accuracy: embeddings of another width are rejected before any pair, for a model that knows its own") {
    // LabelOracle reads only the first column, so it would score [24, 3] without a word.
    struct SizedOracle : LabelOracle {
        long scored = 0;
        [[nodiscard]] index_t embedding_dim() const noexcept { return 4; }
        const Tensor<float>& logits_from_embeddings(const Tensor<float>& l, const Tensor<float>& r) {
            ++scored;
            return LabelOracle::logits_from_embeddings(l, r);
        }
    };
    const auto set = tiny_set({0, 1, 2, 3}, 6);
    SizedOracle model;
    const auto e = eval::embed_all(model, set);
    Tensor<float> narrow(Shape{24, 3});
    for (index_t i = 0; i < 24; ++i) std::copy_n(&e(i, 0), 3, &narrow(i, 0));
    data::PairSampler sampler(set, 1);
    const auto before = sampler.state();
    test::require_shape_error([&] { (void)eval::pair_accuracy(model, narrow, sampler, 5, 8); },
                              {"pair_accuracy: the model's embeddings are 4 wide, got [24, 3]"});
    CHECK(model.scored == 0);
    CHECK(sampler.state() == before);
    CHECK(eval::pair_accuracy(model, e, sampler, 5, 8).accuracy == 1.0);
    CHECK(model.scored == 5);
}

TEST_CASE("pair_accuracy: a NaN logit is an error, not a pair called 'different' (chance accuracy)") {
    const auto set = tiny_set({0, 1, 2, 3}, 6);
    LabelOracle model;
    auto e = eval::embed_all(model, set);
    e(5, 2) = std::numeric_limits<float>::quiet_NaN();  // image 5's embedding
    struct NanWhereEmbeddingIs : LabelOracle {
        const Tensor<float>& logits_from_embeddings(const Tensor<float>& l, const Tensor<float>& r) {
            LabelOracle::logits_from_embeddings(l, r);
            for (index_t i = 0; i < l.dim(0); ++i)
                if (std::isnan(l(i, 2)) || std::isnan(r(i, 2))) z[i] = std::numeric_limits<float>::quiet_NaN();
            return z;
        }
    } nan_model;
    data::PairSampler sampler(set, 1);
    const auto start = sampler.state();
    CHECK_THROWS_WITH_AS((void)eval::pair_accuracy(nan_model, e, sampler, 20, 20),
                         doctest::Contains("pair_accuracy: the model's logit is NaN for images"),
                         std::invalid_argument);
    // The batches drawn before the error are given back: the next call scores the pairs a run
    // without the failed one would (the stream had moved on by those batches).
    CHECK(sampler.state() == start);
    auto scorer_that_throws = [](index_t query, std::span<const index_t>, std::span<double>) {
        if (query == 5) throw std::runtime_error("no score for image 5");
    };
    CHECK_THROWS_AS((void)eval::pair_scores(sampler, 20, 20, scorer_that_throws), std::runtime_error);
    CHECK(sampler.state() == start);
}

TEST_CASE("embed_all: a prepare that adds images to the batch is refused (it wrote past the embeddings)") {
    const auto set = tiny_set({3, 7, 9}, 5);
    LabelOracle model;
    auto add_flipped_views = [](Tensor<float>& batch) {
        const Tensor<float> images = batch;
        batch.resize(Shape{2 * images.dim(0), 1, 2, 2});
        std::copy_n(images.data(), images.size(), batch.data());
        std::copy_n(images.data(), images.size(), batch.data() + images.size());
    };
    test::require_shape_error(
        [&] { (void)eval::embed_all(model, set, 4, add_flipped_views); },
        {"embed_all", "one embedding row per image of a chunk of 4 images", "[8, 4]", "[8, 1, 2, 2]"});
}

TEST_CASE("pair_accuracy and pair_scores: batches and batch_size below 1, a NaN threshold") {
    const auto set = tiny_set({0, 1, 2, 3}, 6);
    LabelOracle model;
    const auto e = eval::embed_all(model, set);
    data::PairSampler sampler(set, 1);
    using test::require_error;
    require_error<std::invalid_argument>([&] { (void)eval::pair_accuracy(model, e, sampler, 0, 8); },
                                         {"pair_accuracy", "batches", "got 0"});
    require_error<std::invalid_argument>([&] { (void)eval::pair_accuracy(model, e, sampler, 3, 0); },
                                         {"pair_accuracy", "batch_size", "got 0"});
    // One pair per batch is always a same-class pair: a model that always says "same" scored 1.
    require_error<std::invalid_argument>([&] { (void)eval::pair_accuracy(model, e, sampler, 3, 1); },
                                         {"pair_accuracy", "batch_size must be at least 2", "got 1"});
    require_error<std::invalid_argument>([&] { (void)eval::pair_accuracy(model, e, sampler, 3, -1); },
                                         {"pair_accuracy", "batch_size", "got -1"});
    require_error<std::invalid_argument>([&] { (void)eval::pair_accuracy(model, e, sampler, 3, 8, std::nan("")); },
                                         {"pair_accuracy", "threshold", "nan"});
    auto blind = [](index_t, std::span<const index_t>, std::span<double> out) { out[0] = 0; };
    require_error<std::invalid_argument>([&] { (void)eval::pair_scores(sampler, 0, 4, blind); },
                                         {"pair_scores", "batches", "got 0"});
    require_error<std::invalid_argument>([&] { (void)eval::pair_scores(sampler, 2, -3, blind); },
                                         {"pair_scores", "batch_size", "got -3"});
    // The smallest valid sizes still work.
    CHECK(eval::pair_accuracy(model, e, sampler, 1, 2).pairs == 2);
    require_error<std::invalid_argument>([&] { (void)eval::pair_scores(sampler, 3, 1, blind); },
                                         {"pair_scores", "batch_size must be at least 2", "got 1"});
    CHECK(eval::pair_scores(sampler, 1, 2, blind).pairs == 2);
}

TEST_CASE("one_shot_accuracy: episodes below 1 and ways outside 2..classes are rejected, naming the numbers") {
    const auto set = tiny_set({0, 1, 2}, 2);
    auto blind = [](index_t, std::span<const index_t>, std::span<double> out) {
        std::fill(out.begin(), out.end(), 0.0);
    };
    test::require_error<std::invalid_argument>(
        [&] { (void)eval::one_shot_accuracy(set, blind, {.ways = 2, .episodes = 0}); },
        {"one_shot_accuracy", "episodes", "got 0"});
    test::require_error<std::invalid_argument>(
        [&] { (void)eval::one_shot_accuracy(set, blind, {.ways = 2, .episodes = -1}); },
        {"one_shot_accuracy", "episodes", "got -1"});
    // It said "5-way episodes need 2..3 ways", and "2..0" for an empty set.
    test::require_error<std::invalid_argument>([&] { (void)eval::one_shot_accuracy(set, blind, {.ways = 5}); },
                                               {"one_shot_accuracy: 5-way episodes need as many classes, but the "
                                                "set has 3"});
    test::require_error<std::invalid_argument>([&] { (void)eval::one_shot_accuracy(set, blind, {.ways = 1}); },
                                               {"one_shot_accuracy: ways must be at least 2, got 1"});
}

TEST_CASE("episode_accuracy: the best-scored support is the pick, a tie goes to the first, mean over episodes") {
    std::vector<data::OneShotEpisode> episodes(2);
    episodes[0] = {.supports = {10, 11, 12}, .queries = {10, 12, 11}, .answers = {0, 2, 1}};
    episodes[1] = {.supports = {20, 21}, .queries = {21, 20}, .answers = {1, 0}};
    // Recognises the images of the first episode; every support of the second ties at 0.
    auto score = [](index_t query, std::span<const index_t> candidates, std::span<double> out) {
        for (std::size_t k = 0; k < candidates.size(); ++k) out[k] = query < 20 && candidates[k] == query ? 1.0 : 0.0;
    };
    const auto r = eval::episode_accuracy(episodes, score);
    CHECK(r.chosen == std::vector<std::vector<index_t>>{{0, 2, 1}, {0, 0}});
    CHECK(r.episodes == 2);
    CHECK(r.queries == 5);
    CHECK(r.correct == 4);
    CHECK(r.accuracy == 0.75);  // (3/3 + 1/2) / 2: each episode weighs the same, not each query
    CHECK(r.std_dev == doctest::Approx(std::sqrt(0.125)));  // of 1 and 0.5: sqrt(2 * 0.25^2 / 1)
    const std::vector<double> per_episode{1.0, 0.5};
    CHECK(r.ci95 == eval::mean_with_ci95(per_episode).ci95);
    // An episode's accuracy is over its queries, however many supports it has.
    const std::vector<data::OneShotEpisode> uneven{
        {.supports = {10, 11, 12}, .queries = {10}, .answers = {0}},
        {.supports = {10, 11}, .queries = {11, 10, 11}, .answers = {1, 0, 1}}};
    const auto all_right = eval::episode_accuracy(uneven, score);
    CHECK(all_right.correct == 4);
    CHECK(all_right.accuracy == 1.0);

    auto refused = [&](std::vector<data::OneShotEpisode> bad, const std::string& message) {
        CAPTURE(message);
        test::require_error<std::invalid_argument>([&] { (void)eval::episode_accuracy(bad, score); }, {message});
    };
    refused({episodes[0], {.supports = {}, .queries = {1}, .answers = {0}}},
            "episode_accuracy: episode 1 has no supports");
    refused({{.supports = {1}, .queries = {}, .answers = {}}}, "episode 0 has no queries");
    refused({{.supports = {1, 2}, .queries = {1, 2}, .answers = {0}}}, "episode 0 has 2 queries but 1 answers");
    refused({{.supports = {1, 2}, .queries = {1}, .answers = {2}}},
            "episode 0 has answer 2, not a position in its 2 supports");
    refused({}, "episode_accuracy: no episodes to score");  // it gave an accuracy of 0
    // A diverged model's NaN never wins a comparison: it read as chance accuracy.
    auto nan_score = [](index_t, std::span<const index_t>, std::span<double> out) {
        std::fill(out.begin(), out.end(), std::numeric_limits<double>::quiet_NaN());
    };
    test::require_error<std::invalid_argument>([&] { (void)eval::episode_accuracy(episodes, nan_score); },
                                               {"episode_accuracy: episode 0, query 0: the score of support 0 is nan"});
}

TEST_CASE("episode_accuracy: infinite scores are ordered like numbers, as in few_shot_accuracy; NaN is refused") {
    static constexpr double inf = std::numeric_limits<double>::infinity();
    const std::vector<data::OneShotEpisode> episodes{
        {.supports = {10, 11, 12}, .queries = {10, 12, 11}, .answers = {0, 2, 1}}};
    // Log-probabilities: 0 for the query's own image, -inf (probability 0) for the others.
    auto log_probability = [](index_t query, std::span<const index_t> candidates, std::span<double> out) {
        for (std::size_t k = 0; k < candidates.size(); ++k) out[k] = candidates[k] == query ? 0.0 : -inf;
    };
    const auto by_log_probability = eval::episode_accuracy(episodes, log_probability);
    CHECK(by_log_probability.chosen == std::vector<std::vector<index_t>>{{0, 2, 1}});
    CHECK(by_log_probability.accuracy == 1.0);
    // +inf wins over every number: here over the right support's 1.
    auto inf_on_second = [](index_t query, std::span<const index_t> candidates, std::span<double> out) {
        for (std::size_t k = 0; k < candidates.size(); ++k) out[k] = k == 1 ? inf : candidates[k] == query ? 1.0 : 0.0;
    };
    const auto second = eval::episode_accuracy(episodes, inf_on_second);
    CHECK(second.chosen == std::vector<std::vector<index_t>>{{1, 1, 1}});
    CHECK(second.correct == 1);
    // Equal infinities tie like equal numbers: to the first support.
    auto all_minus_inf = [](index_t, std::span<const index_t>, std::span<double> out) {
        std::fill(out.begin(), out.end(), -inf);
    };
    CHECK(eval::episode_accuracy(episodes, all_minus_inf).chosen == std::vector<std::vector<index_t>>{{0, 0, 0}});
    auto all_plus_inf = [](index_t, std::span<const index_t>, std::span<double> out) {
        std::fill(out.begin(), out.end(), inf);
    };
    CHECK(eval::episode_accuracy(episodes, all_plus_inf).chosen == std::vector<std::vector<index_t>>{{0, 0, 0}});
    // A NaN among infinities is still refused, naming its support.
    auto nan_after_inf = [](index_t, std::span<const index_t> candidates, std::span<double> out) {
        for (std::size_t k = 0; k < candidates.size(); ++k)
            out[k] = k == 2 ? std::numeric_limits<double>::quiet_NaN() : -inf;
    };
    test::require_error<std::invalid_argument>([&] { (void)eval::episode_accuracy(episodes, nan_after_inf); },
                                               {"episode_accuracy: episode 0, query 0: the score of support 2 is nan"});
}

TEST_CASE("mean_with_ci95: by hand, and for values whose sum passes a double's range") {
    const std::vector<double> small{1, 2, 3, 6};
    const auto r = eval::mean_with_ci95(small);
    CHECK(r.mean == 3.0);
    CHECK(r.std_dev == doctest::Approx(std::sqrt(14.0 / 3)));
    CHECK(r.ci95 == doctest::Approx(1.96 * std::sqrt(14.0 / 3) / 2));
    CHECK(r.count == 4);
    // The running sum of three 1e308 was inf: mean inf, interval inf.
    const std::vector<double> large{1e308, 1e308, 1e308};
    const auto big = eval::mean_with_ci95(large);
    CHECK(big.mean == doctest::Approx(1e308));
    CHECK(big.std_dev == 0.0);
    const std::vector<double> spread{-1.5e308, 1.5e308, 1.5e308, -1.5e308};
    const auto wide = eval::mean_with_ci95(spread);
    CHECK(wide.mean == 0.0);
    CHECK(wide.std_dev == doctest::Approx(1.5e308 * std::sqrt(4.0 / 3)));
    // One value: no spread to estimate, interval 0 (not NaN); none: all zero.
    const auto one = eval::mean_with_ci95(std::vector<double>{5});
    CHECK(one.mean == 5.0);
    CHECK(one.std_dev == 0.0);
    CHECK(one.ci95 == 0.0);
    CHECK(one.count == 1);
    const auto none = eval::mean_with_ci95(std::vector<double>{});
    CHECK((none.mean == 0.0 && none.std_dev == 0.0 && none.ci95 == 0.0 && none.count == 0));
    // An inf among the values is not hidden.
    CHECK(std::isinf(eval::mean_with_ci95(std::vector<double>{1, std::numeric_limits<double>::infinity()}).mean));
}
