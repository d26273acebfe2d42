// SPDX-License-Identifier: MIT
// After the first step, a metric-learning training step allocates nothing: samplers, losses,
// optimizers and schedules reuse their buffers (count_allocations.hpp counts every heap
// allocation of the process).
#include "count_allocations.hpp"
#include "test_util.hpp"

#include <siamese/data/pair_sampler.hpp>
#include <siamese/data/pk_sampler.hpp>
#include <siamese/data/triplet_sampler.hpp>
#include <siamese/losses/contrastive.hpp>
#include <siamese/losses/triplet.hpp>
#include <siamese/metrics/distance.hpp>
#include <siamese/optim/adam.hpp>
#include <siamese/optim/schedule.hpp>
#include <siamese/optim/sgd.hpp>

#include <cstdint>
#include <cstdlib>
#include <vector>

using namespace siamese;

namespace {

data::LabelledImages make_set() {
    std::vector<std::uint8_t> pixels;
    std::vector<data::label_t> labels;
    Rng rng(5);
    for (int i = 0; i < 60; ++i) {
        for (int k = 0; k < 64; ++k) pixels.push_back(static_cast<std::uint8_t>(rng.uniform_int(4)));
        labels.push_back(i % 6);
    }
    return data::LabelledImages(Shape{1, 8, 8}, std::move(pixels), std::move(labels));
}

/// Runs `step` twice to warm up, then five times counting allocations.
template <class F>
long allocations_in_steady_state(F&& step) {
    step();
    step();
    const long before = test_allocations::count();
    for (int i = 0; i < 5; ++i) step();
    return test_allocations::count() - before;
}

/// The batch's embeddings stand in as parameters (no backbone): what is measured is the
/// sampler, the loss, the optimizer and the schedule. The backbone's own steady state is
/// test_allocation's business.
struct Embeddings {
    Tensor<float> value, grad;
    Embeddings(index_t n, index_t d, Rng& rng)
        : value(test::random_tensor<float>(Shape{n, d}, rng)), grad(Shape{n, d}) {}
    ParamList<float> params() { return {{"embeddings", &value, &grad}}; }
    void set_grad(const Tensor<float>& g) { std::copy_n(g.data(), g.size(), grad.data()); }
};

}  // namespace

TEST_CASE("the allocation counter sees an allocation") {
    // Through a volatile pointer: a new-expression deleted unseen may be elided (clang -O3 does).
    CHECK(allocations_in_steady_state([] {
              std::vector<int>* volatile v = new std::vector<int>(1000);
              delete v;
          }) >= 5);
}

TEST_CASE("triplet steps (P x K sampler, every mining, AdamW with groups, warm-up + cosine) allocate nothing") {
    const auto set = make_set();
    Rng rng(351);
    Embeddings e(12, 8, rng);
    AdamW<float> adamw({{.params = e.params(), .lr_scale = 0.5}}, {.lr = 1e-3});
    const LinearWarmup schedule(3, CosineAnnealing(1e-3, 100));
    data::PkSampler sampler(set, {.p = 3, .k = 4}, 1);
    data::PkBatch<float> batch;
    for (const auto mining : {TripletMining::batch_all, TripletMining::batch_hard, TripletMining::semi_hard}) {
        CAPTURE(static_cast<int>(mining));
        TripletMarginLoss<float> loss({.margin = 0.5, .mining = mining});
        index_t step = 0;
        CHECK(allocations_in_steady_state([&] {
                  sampler.sample(batch);
                  schedule.apply(adamw, step++);
                  loss.forward(e.value, batch.labels);
                  e.set_grad(loss.backward());
                  adamw.step();
              }) == 0);
    }
}

TEST_CASE("contrastive, given-triplet and distance steps (pair/triplet samplers, Adam, Sgd) allocate nothing") {
    const auto set = make_set();
    Rng rng(352);
    Embeddings pairs_e(16, 8, rng);
    Adam<float> adam(pairs_e.params(), {.lr = 1e-3});
    const StepDecay decay(1e-3, 2, 0.5);
    ContrastiveLoss<float> contrastive;
    data::PairSampler pairs(set, 1);
    data::PairBatch<float> pair_batch;
    index_t step = 0;
    CHECK(allocations_in_steady_state([&] {
              pairs.sample(8, pair_batch);
              decay.apply(adam, step++);
              contrastive.forward_stacked(pairs_e.value, pair_batch.labels);
              pairs_e.set_grad(contrastive.backward());
              adam.step();
          }) == 0);

    Embeddings triplet_e(12, 8, rng);
    Sgd<float> sgd(triplet_e.params(), {.lr = 1e-3, .momentum = 0.9});
    TripletMarginLoss<float> triplet;
    data::TripletSampler triplets(set, 2);
    data::TripletBatch<float> triplet_batch;
    metrics::EuclideanDistance<float> euclidean;
    metrics::CosineDistance<float> cosine;
    Tensor<float> ones(Shape{6}, 1.0f), table;
    CHECK(allocations_in_steady_state([&] {
              triplets.sample(4, triplet_batch);
              triplet.forward_triplets(triplet_e.value);
              triplet_e.set_grad(triplet.backward());
              sgd.step();
              euclidean.forward_stacked(triplet_e.value);  // 12 rows as 6 pairs
              euclidean.backward(ones);
              cosine.forward_stacked(triplet_e.value);
              cosine.backward(ones);
              metrics::pairwise_euclidean(triplet_e.value, triplet_e.value, table);
          }) == 0);
}
