// SPDX-License-Identifier: MIT
// Metric learning end to end: a Siamese model's backbone trained through embed() and
// backward_embeddings() with the contrastive and the triplet loss, and evaluated with the same
// tools as any model (embed_all, then a distance between embeddings).
#include "test_util.hpp"

#include <siamese/data/pair_sampler.hpp>
#include <siamese/data/pk_sampler.hpp>
#include <siamese/eval/embed.hpp>
#include <siamese/eval/one_shot.hpp>
#include <siamese/kernels/pairwise_distance.hpp>
#include <siamese/losses/contrastive.hpp>
#include <siamese/losses/triplet.hpp>
#include <siamese/optim/adam.hpp>
#include <siamese/optim/schedule.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace siamese;

namespace {

template <class T>
using TinyNet = Sequential<Conv2d<T>, ReLU<T>, MaxPool2d<T>, Flatten<T>, Linear<T>>;

/// [N, 1, 8, 8] -> [N, embedding]
template <class T>
TinyNet<T> make_tiny(Rng& rng, index_t embedding = 8) {
    Conv2d<T> conv(1, 4, 3, rng);
    Linear<T> fc(4 * 3 * 3, embedding, rng);
    return TinyNet<T>(std::move(conv), ReLU<T>(), MaxPool2d<T>(2), Flatten<T>(), std::move(fc));
}

/// `per_class` noisy copies of `classes` fixed random 8x8 patterns. Pixels are small integers
/// (pattern 0..4 plus noise -1..1), so the raw values embed_all hands out need no scaling.
data::LabelledImages synthetic_set(index_t classes, index_t per_class, std::uint64_t pattern_seed,
                                   std::uint64_t noise_seed) {
    Rng patterns(pattern_seed), noise(noise_seed);
    std::vector<std::vector<int>> prototypes(static_cast<std::size_t>(classes));
    for (auto& p : prototypes) {
        for (int i = 0; i < 64; ++i) p.push_back(static_cast<int>(patterns.uniform_int(5)));
    }
    std::vector<std::uint8_t> pixels;
    std::vector<data::label_t> labels;
    for (index_t n = 0; n < per_class; ++n) {
        for (index_t c = 0; c < classes; ++c) {
            for (const int v : prototypes[static_cast<std::size_t>(c)]) {
                pixels.push_back(
                    static_cast<std::uint8_t>(std::max(0, v + static_cast<int>(noise.uniform_int(3)) - 1)));
            }
            labels.push_back(c);
        }
    }
    return data::LabelledImages(Shape{1, 8, 8}, std::move(pixels), std::move(labels));
}

/// 4-way one-shot accuracy of nearest-embedding classification (score = -distance).
template <class Model>
double one_shot(Model& model, const data::LabelledImages& images) {
    const auto embeddings = eval::embed_all(model, images);
    const index_t d = embeddings.dim(1);
    auto score = [&](index_t query, std::span<const index_t> supports, std::span<double> out) {
        for (std::size_t k = 0; k < supports.size(); ++k) {
            out[k] = -std::sqrt(static_cast<double>(
                kernels::squared_distance(d, embeddings.data() + query * d, embeddings.data() + supports[k] * d)));
        }
    };
    return eval::one_shot_accuracy(images, score, {.ways = 4, .episodes = 400, .seed = 5}).accuracy;
}

}  // namespace

TEST_CASE("Siamese::backward_embeddings: contrastive and triplet gradients reach every backbone weight") {
    Rng rng(341);
    Siamese model(make_tiny<double>(rng, 5), Shape{1, 8, 8}, rng);
    const auto images = test::random_tensor(Shape{6, 1, 8, 8}, rng);
    const auto params = model.params();

    SUBCASE("contrastive on stacked pairs") {
        ContrastiveLoss<double> loss({.margin = 1.0});
        const std::vector<double> same{1, 0, 0};
        auto f = [&] { return static_cast<double>(loss.forward_stacked(model.embed(images), same)); };
        zero_grad(params);
        f();
        model.backward_embeddings(loss.backward());
        test::require_gradients_ok(testing::check_param_gradients(f, params));
    }
    SUBCASE("triplet, batch hard") {
        TripletMarginLoss<double> loss({.margin = 1.0, .mining = TripletMining::batch_hard});
        const std::vector<std::int64_t> labels{0, 0, 1, 1, 2, 2};
        auto f = [&] { return static_cast<double>(loss.forward(model.embed(images), labels)); };
        zero_grad(params);
        f();
        CHECK(loss.active_triplets() > 0);
        model.backward_embeddings(loss.backward());
        test::require_gradients_ok(testing::check_param_gradients(f, params));
    }
}

TEST_CASE("Siamese::backward_embeddings: needs a preceding embed() and its gradient shape") {
    Rng rng(342);
    Siamese model(make_tiny<float>(rng), Shape{1, 8, 8}, rng);
    const auto images = test::random_tensor<float>(Shape{4, 1, 8, 8}, rng);
    CHECK_THROWS_AS(model.backward_embeddings(Tensor<float>(Shape{4, 8})), std::logic_error);
    model.embed(images);
    test::require_shape_error(
        [&] {
            model.backward_embeddings(Tensor<float>(Shape{3, 8}));
        },
        {"Siamese", "[4, 8]", "[3, 8]"});
    model.backward_embeddings(Tensor<float>(Shape{4, 8}));
    // logits() runs the backbone for pairs: the embed() cache is gone, and the old rules hold.
    model.logits(images, images);
    CHECK_THROWS_AS(model.backward_embeddings(Tensor<float>(Shape{4, 8})), std::logic_error);
    model.embed(images);
    CHECK_THROWS_AS(model.backward(Tensor<float>(Shape{4, 1})), std::logic_error);
}

TEST_CASE("Contrastive training on pairs drives the loss down; nearest-embedding one-shot works") {
    const auto train = synthetic_set(6, 20, 11, 12);
    const auto test_set = synthetic_set(6, 10, 11, 13);  // same classes, fresh noise
    Rng rng(343);
    Siamese model(make_tiny<float>(rng), Shape{1, 8, 8}, rng);
    Adam<float> adam(model.params(), {.lr = 0.01});
    const LinearWarmup schedule(20, CosineAnnealing(0.01, 280, 0.001));
    ContrastiveLoss<float> loss({.margin = 1.0});
    data::PairSampler train_pairs(train, 1);
    data::PairBatch<float> batch;

    auto run = [&](data::PairSampler& sampler, int steps, bool learn) {
        double total = 0;
        for (int s = 0; s < steps; ++s) {
            sampler.sample(16, batch);
            if (learn) {
                schedule.apply(adam, s);
                adam.zero_grad();
            }
            total += loss.forward_stacked(model.embed(batch.images), batch.labels);
            if (learn) {
                model.backward_embeddings(loss.backward());
                adam.step();
            }
        }
        return total / steps;
    };
    data::PairSampler before_pairs(test_set, 2), after_pairs(test_set, 2);
    const double loss_before = run(before_pairs, 20, false);
    const double accuracy_before = one_shot(model, test_set);
    run(train_pairs, 300, true);
    const double loss_after = run(after_pairs, 20, false);
    const double accuracy_after = one_shot(model, test_set);
    INFO("contrastive loss " << loss_before << " -> " << loss_after << ", 4-way one-shot " << accuracy_before << " -> "
                             << accuracy_after);
    MESSAGE("contrastive loss " << loss_before << " -> " << loss_after << ", 4-way one-shot " << accuracy_before
                                << " -> " << accuracy_after);
    CHECK(loss_after < 0.5 * loss_before);
    CHECK(accuracy_after >= 0.9);
}

TEST_CASE("Triplet training on P x K batches drives the loss down; nearest-embedding one-shot works") {
    const auto train = synthetic_set(6, 20, 21, 22);
    const auto test_set = synthetic_set(6, 10, 21, 23);
    const LinearWarmup schedule(20, CosineAnnealing(0.01, 280, 0.001));
    data::PkBatch<float> batch;

    for (const auto mining : {TripletMining::batch_hard, TripletMining::semi_hard, TripletMining::batch_all}) {
        CAPTURE(static_cast<int>(mining));
        Rng rng(344);
        Siamese model(make_tiny<float>(rng), Shape{1, 8, 8}, rng);
        AdamW<float> adamw(model.params(), {.lr = 0.01, .weight_decay = 1e-4});
        TripletMarginLoss<float> loss({.margin = 1.0, .mining = mining});
        auto run = [&](data::PkSampler& sampler, int steps, bool learn) {
            double total = 0;
            for (int s = 0; s < steps; ++s) {
                sampler.sample(batch);
                if (learn) {
                    schedule.apply(adamw, s);
                    adamw.zero_grad();
                }
                const double value = loss.forward(model.embed(batch.images), batch.labels);
                // Batch all averages over the active triplets, a mean that stays flat by design
                // as easy triplets drop out: compare its mean over all triplets instead.
                total += mining == TripletMining::batch_all ? value * static_cast<double>(loss.active_triplets()) /
                                                                  static_cast<double>(loss.triplets())
                                                            : value;
                if (learn) {
                    model.backward_embeddings(loss.backward());
                    adamw.step();
                }
            }
            return total / steps;
        };
        data::PkSampler train_batches(train, {.p = 4, .k = 4}, 3);
        data::PkSampler before_batches(test_set, {.p = 4, .k = 4}, 4), after_batches(test_set, {.p = 4, .k = 4}, 4);
        const double loss_before = run(before_batches, 20, false);
        const double accuracy_before = one_shot(model, test_set);
        run(train_batches, 300, true);
        const double loss_after = run(after_batches, 20, false);
        const double accuracy_after = one_shot(model, test_set);
        INFO("triplet loss " << loss_before << " -> " << loss_after << ", 4-way one-shot " << accuracy_before << " -> "
                             << accuracy_after);
        MESSAGE("mining " << static_cast<int>(mining) << ": triplet loss " << loss_before << " -> " << loss_after
                          << ", 4-way one-shot " << accuracy_before << " -> " << accuracy_after);
        CHECK(loss_after < 0.5 * loss_before);
        CHECK(accuracy_after >= 0.9);
    }
}
