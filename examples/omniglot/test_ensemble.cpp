// SPDX-License-Identifier: MIT
// evaluate's ensemble and views: several models score a pair by the mean of their logits, each
// image embedded as the mean over views of it; one model and one view score as the model alone.
#include "../common/error_message.hpp"
#include "evaluation.hpp"
#include "network.hpp"
#include "settings.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

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
