// SPDX-License-Identifier: MIT
// evaluate's ensemble and views: several models score a pair by the mean of their logits, each
// image embedded as the mean over views of it; one model and one view score as the model alone.
#include "../common/error_message.hpp"
#include "episode_pictures.hpp"
#include "evaluation.hpp"
#include "network.hpp"
#include "settings.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace {

using omniglot::Model;
using siamese::index_t;

constexpr index_t side = 16, image_count = 40;

/// Random scribbles: enough for two untrained nets to disagree on some queries.
siamese::data::LabelledImages random_images() {
    siamese::Rng rng(11);
    std::vector<std::uint8_t> pixels;
    std::vector<siamese::data::label_t> labels;
    for (index_t i = 0; i < image_count; ++i) {
        for (index_t p = 0; p < side * side; ++p) pixels.push_back(static_cast<std::uint8_t>(rng.uniform_int(256)));
        labels.push_back(static_cast<siamese::data::label_t>(i % 8));
    }
    return siamese::data::LabelledImages(siamese::Shape{1, side, side}, std::move(pixels), std::move(labels));
}

/// Episodes of 8 supports (images 0..7) and 8 queries each, the answer being the query's label.
std::vector<siamese::data::OneShotEpisode> episodes() {
    std::vector<siamese::data::OneShotEpisode> all;
    for (index_t start = 8; start < image_count; start += 8) {
        siamese::data::OneShotEpisode e;
        for (index_t s = 0; s < 8; ++s) e.supports.push_back(s);
        for (index_t q = start; q < start + 8; ++q) {
            e.queries.push_back(q);
            e.answers.push_back(q % 8);
        }
        all.push_back(e);
    }
    return all;
}

Model tiny_model(std::uint64_t seed) {
    omniglot::NetConfig net;
    net.side = side;
    net.widths = {4, 4, 4, 4};
    net.embedding = 8;
    siamese::Rng rng(seed);
    return omniglot::make_model(net, rng);
}

/// Each query's pick by one model's own logits, computed here from the head's scores.
std::vector<std::vector<index_t>> picks(Model& model, const siamese::data::LabelledImages& images) {
    const auto embeddings = siamese::eval::embed_all(model, images);
    siamese::eval::EmbeddingScorer scorer(model, embeddings);
    std::vector<std::vector<index_t>> chosen;
    std::vector<double> scores(8);
    for (const auto& e : episodes()) {
        auto& row = chosen.emplace_back();
        for (const index_t q : e.queries) {
            scorer(q, std::span<const index_t>(e.supports), std::span<double>(scores));
            row.push_back(static_cast<index_t>(std::max_element(scores.begin(), scores.end()) - scores.begin()));
        }
    }
    return chosen;
}

}  // namespace

TEST_CASE("an ensemble of one model picks what the model picks") {
    const auto images = random_images();
    std::vector<Model> one;
    one.push_back(tiny_model(1));
    const auto alone = picks(one.front(), images);
    const auto result = omniglot::ensemble_accuracy(one, images, episodes());
    CHECK(result.chosen == alone);
    CHECK(result.episodes == 4);
    CHECK(result.queries == 32);
    // Training's validation (model_accuracy) is that ensemble of one.
    const auto single = omniglot::model_accuracy(one.front(), images, episodes());
    CHECK(single.chosen == alone);
    CHECK(single.accuracy == result.accuracy);
}

TEST_CASE("an ensemble picks the support with the highest mean logit") {
    const auto images = random_images();
    const auto all = episodes();
    std::vector<Model> models;
    models.push_back(tiny_model(1));
    models.push_back(tiny_model(2));
    const auto picks_a = picks(models[0], images), picks_b = picks(models[1], images);
    REQUIRE(picks_a != picks_b);  // otherwise the test could not tell a mean from either model

    // The expected picks, from each model's logits summed by hand.
    const auto embeddings_a = siamese::eval::embed_all(models[0], images),
               embeddings_b = siamese::eval::embed_all(models[1], images);
    siamese::eval::EmbeddingScorer scorer_a(models[0], embeddings_a), scorer_b(models[1], embeddings_b);
    std::vector<std::vector<index_t>> expected;
    std::vector<double> a(8), b(8), sum(8);
    for (const auto& e : all) {
        auto& row = expected.emplace_back();
        for (const index_t q : e.queries) {
            scorer_a(q, std::span<const index_t>(e.supports), std::span<double>(a));
            scorer_b(q, std::span<const index_t>(e.supports), std::span<double>(b));
            for (std::size_t k = 0; k < sum.size(); ++k) sum[k] = a[k] + b[k];
            row.push_back(static_cast<index_t>(std::max_element(sum.begin(), sum.end()) - sum.begin()));
        }
    }
    const auto result = omniglot::ensemble_accuracy(models, images, all);
    CHECK(result.chosen == expected);
    CHECK(result.chosen != picks_a);
    CHECK(result.chosen != picks_b);

    std::vector<Model> none;
    CHECK_THROWS_WITH(omniglot::ensemble_accuracy(none, images, all), "ensemble_accuracy: no models");
}

TEST_CASE("embed_views: the mean embedding over the image as drawn and its distorted views") {
    const auto images = random_images();
    Model model = tiny_model(1);
    const auto as_drawn = siamese::eval::embed_all(model, images);
    siamese::data::KochAugmentOptions distortion;
    distortion.probability = 1;

    const auto one = omniglot::embed_views(model, images, 1, distortion);
    REQUIRE(one.shape() == as_drawn.shape());
    for (index_t k = 0; k < one.size(); ++k) CHECK(one[k] == as_drawn[k]);

    // Two views: the image as drawn and one distortion, drawn as embed_views draws it.
    siamese::Tensor<float> batch;
    std::vector<index_t> all(static_cast<std::size_t>(image_count));
    std::iota(all.begin(), all.end(), index_t{0});
    images.copy_images(std::span<const index_t>(all), batch);
    siamese::data::Augmenter augmenter(distortion, omniglot::test_seed());
    augmenter.augment_all(batch);
    const auto distorted = model.embed(batch);
    const auto two = omniglot::embed_views(model, images, 2, distortion);
    REQUIRE(two.shape() == as_drawn.shape());
    double moved = 0;
    for (index_t k = 0; k < two.size(); ++k) {
        CHECK(two[k] == doctest::Approx((as_drawn[k] + distorted[k]) / 2).epsilon(1e-5));
        moved += std::abs(two[k] - as_drawn[k]);
    }
    CHECK(moved > 1e-3);  // the distortion changed the embeddings

    // Views that are not distorted average to the image as drawn.
    distortion.probability = 0;
    const auto same = omniglot::embed_views(model, images, 4, distortion);
    for (index_t k = 0; k < same.size(); ++k) CHECK(same[k] == doctest::Approx(as_drawn[k]).epsilon(1e-5));
}

TEST_CASE("a diverged model is refused, not scored as chance") {
    // NaN scores never win a comparison, so every query picked the first support: chance accuracy,
    // exit 0.
    const auto images = random_images();
    std::vector<Model> models;
    models.push_back(tiny_model(1));
    models.push_back(tiny_model(2));
    (*models[1].params()[0].value)[0] = std::numeric_limits<float>::quiet_NaN();
    auto refusal = [&] {
        return examples::error_message<siamese::numeric_error>(
            [&] { (void)omniglot::ensemble_accuracy(std::span<Model>(models), images, episodes()); }, "(scored)");
    };
    const auto nan_weight = refusal();
    INFO(nan_weight);
    CHECK(nan_weight.find("model 2 of 2: its embeddings are not finite") != std::string::npos);

    // Finite embeddings whose head overflows: the scores are checked too.
    (*models[1].params()[0].value)[0] = 0;
    for (auto& w : *models[1].head().params()[0].value) w = 3e38f;
    const auto overflow = refusal();
    INFO(overflow);
    CHECK(overflow.find("model 2 of 2: a score (the head's logit) is not finite") != std::string::npos);
}

namespace {

/// One n x n image of paper 0 with the listed pixels (x, y) set to their ink value.
siamese::data::LabelledImages drawn(index_t n, const std::vector<std::tuple<index_t, index_t, std::uint8_t>>& ink) {
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(n * n), 0);
    for (const auto& [x, y, v] : ink) pixels[static_cast<std::size_t>(y * n + x)] = v;
    return siamese::data::LabelledImages(siamese::Shape{1, n, n}, std::move(pixels),
                                         std::vector<siamese::data::label_t>{0});
}

}  // namespace

TEST_CASE("the baselines' ink: at or above 128, centred by rows and columns") {
    // A drawing whose only ink is exactly the threshold is not blank; one just below it is.
    CHECK_FALSE(omniglot::first_blank_image(drawn(4, {{1, 2, 128}})).has_value());
    CHECK(omniglot::first_blank_image(drawn(4, {{1, 2, 127}})) == index_t{0});

    // One dot at column 0, row 1 of a 5 x 5 image moves to the centre (2, 2), and only there.
    const auto dot = omniglot::centre_ink(drawn(5, {{0, 1, 255}}));
    for (index_t p = 0; p < 25; ++p) CHECK(dot.image(0)[static_cast<std::size_t>(p)] == (p == 12 ? 255 : 0));

    // Ink of exactly 128 counts for the centroid: (0, 0) and (4, 4) are already centred.
    const auto pair = omniglot::centre_ink(drawn(5, {{0, 0, 255}, {4, 4, 128}}));
    CHECK(pair.image(0)[0] == 255);
    CHECK(pair.image(0)[24] == 128);
}

TEST_CASE("the Hausdorff baseline compares centred ink") {
    // Image 0, the query: a stroke on row 3. Image 1, its class: the same stroke 7 rows and 3
    // columns further. Image 2, another class: a column crossing the query's stroke. Where the
    // drawer put the character must not count.
    constexpr index_t n = 16;
    std::vector<std::uint8_t> pixels(3 * n * n, 0);
    for (index_t x = 2; x < 10; ++x) pixels[static_cast<std::size_t>(3 * n + x)] = 255;
    for (index_t x = 5; x < 13; ++x) pixels[static_cast<std::size_t>(n * n + 10 * n + x)] = 255;
    for (index_t y = 0; y < 8; ++y) pixels[static_cast<std::size_t>(2 * n * n + y * n + 5)] = 255;
    const siamese::data::LabelledImages images(siamese::Shape{1, n, n}, std::move(pixels), {0, 0, 1});
    const std::vector<siamese::data::OneShotEpisode> crossing{{.supports = {2, 1}, .queries = {0}, .answers = {1}}};
    CHECK(omniglot::baseline_accuracy(images, crossing).hausdorff.accuracy == 1.0);

    // On scribbles, its picks are the library's modified Hausdorff distance on light ink, centred
    // (the picks on dark ink differ, so the check can tell them apart).
    const auto scribbles = random_images();
    const auto picks_of = [&](siamese::eval::Ink ink) {
        return siamese::eval::episode_accuracy(
                   episodes(), siamese::eval::HausdorffScorer(omniglot::centre_ink(scribbles),
                                                              {.threshold = omniglot::baseline_ink, .ink = ink}))
            .chosen;
    };
    const auto light = picks_of(siamese::eval::Ink::light);
    REQUIRE(light != picks_of(siamese::eval::Ink::dark));
    CHECK(omniglot::baseline_accuracy(scribbles, episodes()).hausdorff.chosen == light);
}

TEST_CASE("EpisodeScores keeps each (query, support) score and reads it back, and nothing else") {
    // A scorer that says which pair it was asked for: 100 * query + support.
    const auto coded = [](index_t q, std::span<const index_t> c, std::span<double> out) {
        for (std::size_t k = 0; k < c.size(); ++k) out[k] = static_cast<double>(100 * q + c[k]);
    };
    const std::vector<siamese::data::OneShotEpisode> eps{{.supports = {0, 1}, .queries = {5}, .answers = {0}},
                                                         {.supports = {2, 3, 4}, .queries = {6, 7}, .answers = {1, 2}}};
    const omniglot::EpisodeScores kept(eps, coded);
    CHECK(kept.at(5, 1) == 501);
    CHECK(kept.at(7, 2) == 702);
    std::vector<double> out(3);
    const std::vector<index_t> supports{4, 2, 3};  // any order
    kept(6, supports, out);
    CHECK(out == std::vector<double>{604, 602, 603});
    // A pair of no episode (query 5 never met support 2) is an error, not a zero.
    CHECK_THROWS_WITH_AS((void)kept.at(5, 2),
                         "EpisodeScores: no score for images 5 and 2 (not a query and a support of the episodes)",
                         std::out_of_range);
}

TEST_CASE("fused_accuracy: the model's logit minus the weight times the Hausdorff distance") {
    // One query, three supports. The model prefers support 0 (logits 2, 1.5, 0), the distance
    // support 2 (MHD 3, 2, 1). Fused: 2 - 3w, 1.5 - 2w, -w: support 0 while w < 0.5, support 1
    // from 0.5 to 1.5, support 2 beyond.
    const std::vector<siamese::data::OneShotEpisode> eps{{.supports = {0, 1, 2}, .queries = {3}, .answers = {1}}};
    const auto table = [](std::vector<double> values) {
        return [values](index_t, std::span<const index_t> c, std::span<double> out) {
            for (std::size_t k = 0; k < c.size(); ++k) out[k] = values[static_cast<std::size_t>(c[k])];
        };
    };
    const omniglot::EpisodeScores model(eps, table({2, 1.5, 0})), hausdorff(eps, table({-3, -2, -1}));
    const auto pick = [&](double w) { return omniglot::fused_accuracy(eps, model, hausdorff, w).chosen[0][0]; };
    CHECK(pick(0) == 0);
    CHECK(pick(0.4) == 0);
    CHECK(pick(0.6) == 1);
    CHECK(pick(1.4) == 1);
    CHECK(pick(1.6) == 2);
    CHECK(omniglot::fused_accuracy(eps, model, hausdorff, 1).accuracy == 1.0);
    CHECK(omniglot::fused_accuracy(eps, model, hausdorff, 0).accuracy == 0.0);
}

TEST_CASE("format_accuracy prints percentages, the interval too") {
    omniglot::EpisodeResult r;
    r.accuracy = 0.5;
    r.ci95 = 0.031;
    CHECK(omniglot::format_accuracy(r) == " 50.0 % +- 3.1");
}

TEST_CASE("group_accuracy: the right queries of one alphabet's episodes, each query counted once") {
    // Alphabet 0: episodes of 2 and 3 queries with 1 and 3 right; alphabet 1: 1 of 1; none of 2.
    std::vector<siamese::data::OneShotEpisode> eps(3);
    eps[0] = {.supports = {0, 1}, .queries = {2, 3}, .answers = {0, 1}, .group = 0};
    eps[1] = {.supports = {0, 1}, .queries = {4}, .answers = {1}, .group = 1};
    eps[2] = {.supports = {0, 1}, .queries = {5, 6, 7}, .answers = {1, 1, 0}, .group = 0};
    omniglot::EpisodeResult r;
    r.chosen = {{0, 0}, {1}, {1, 1, 0}};
    CHECK(omniglot::group_accuracy(eps, r, 0) == doctest::Approx(4.0 / 5.0));
    CHECK(omniglot::group_accuracy(eps, r, 1) == doctest::Approx(1.0));
    CHECK_FALSE(omniglot::group_accuracy(eps, r, 2).has_value());
}

TEST_CASE("episodes_canvas: the query shown, ink dark on white, the right candidate green, a wrong choice red") {
    // Four flat 8 x 8 images of ink 20, 40, 60, 80. One episode: supports 0, 1, 2; the picture
    // shows its second query (image 3, of class 2), which the model took for support 0.
    constexpr index_t n = 8;
    std::vector<std::uint8_t> pixels;
    for (int i = 0; i < 4; ++i) pixels.insert(pixels.end(), n * n, static_cast<std::uint8_t>(20 * (i + 1)));
    const siamese::data::LabelledImages images(siamese::Shape{1, n, n}, std::move(pixels), {0, 1, 2, 2});
    const std::vector<siamese::data::OneShotEpisode> eps{{.supports = {0, 1, 2}, .queries = {1, 3}, .answers = {1, 2}}};
    omniglot::EpisodeResult r;
    r.chosen = {{1, 0}};
    const auto canvas = omniglot::episodes_canvas(images, eps, r, 6);
    REQUIRE(canvas.has_value());
    const auto same = [](examples::Rgb a, examples::Rgb b) { return a.r == b.r && a.g == b.g && a.b == b.b; };
    // The layout: a 14-pixel gap, then cells of the image at twice its size inside a 2-pixel frame.
    constexpr int gap = 14, border = 2, cell = 2 * n + 2 * border + 2;
    const auto candidate_x = [&](int k) { return gap + cell + gap + k * cell; };
    CHECK(canvas->height() == gap + (2 * n + 2 * border + 8) + gap);  // one row: one episode only
    CHECK(same(canvas->at(gap, gap), examples::white));               // the query's frame
    const auto query = canvas->at(gap + border + 3, gap + border + 3);
    CHECK(same(query, {255 - 80, 255 - 80, 255 - 80}));
    CHECK(same(canvas->at(candidate_x(2), gap), examples::green));
    CHECK(same(canvas->at(candidate_x(0), gap), examples::red));
    CHECK(same(canvas->at(candidate_x(1), gap), examples::dark));  // neither: no frame
    CHECK(same(canvas->at(candidate_x(1) + border + 1, gap + border + 1), {255 - 40, 255 - 40, 255 - 40}));
    CHECK_FALSE(omniglot::episodes_canvas(images, {}, r, 6).has_value());
}
