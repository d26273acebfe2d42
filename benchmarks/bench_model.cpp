// SPDX-License-Identifier: MIT
// The whole tutorial network: one training step (forward of both images of every pair as one
// batch, BCE on logits, backward, SGD) and inference (scoring pairs), at 25..200 pairs and 1..2
// threads. Filter with --benchmark_filter=train_step or =inference.
#include "bench_common.hpp"

#include <cmath>
#include <vector>

namespace {

using namespace siamese;
using namespace siamese::bench;

// Multiply-adds of one image's forward pass, per layer (valid 3x3 convolutions, bias adds left out).
constexpr double conv1_macs = 32.0 * 1 * 9 * 26 * 26;
constexpr double conv2_macs = 64.0 * 32 * 9 * 11 * 11;
constexpr double image_macs = conv1_macs + conv2_macs + 1600.0 * 120 + 120.0 * 84;
constexpr double head_macs = 84.0;

/// FLOP of one training step on `pairs` pairs, counted like the PyTorch reference: forward of
/// 2 * pairs images plus the head; backward twice the forward, less conv1's input gradient.
double step_flops(double pairs) {
    const double forward = 2 * pairs * image_macs + pairs * head_macs;
    const double backward = 2 * forward - 2 * pairs * conv1_macs;
    return 2 * (forward + backward);
}

struct Batch {
    Tensor<float> left, right;
    std::vector<float> same;
    explicit Batch(index_t pairs)
        : left(random(Shape{pairs, 1, 28, 28}, 0, 255, 3)),
          right(random(Shape{pairs, 1, 28, 28}, 0, 255, 4)),
          same(static_cast<std::size_t>(pairs), 0.0f) {
        // The tutorial's batches: the first half different classes (0), the second half same (1).
        for (index_t i = pairs / 2; i < pairs; ++i) same[static_cast<std::size_t>(i)] = 1.0f;
    }
};

void train_step(benchmark::State& state) {
    const index_t pairs = state.range(0);
    use_threads(state, 1);
    Rng rng(7);
    Siamese model(make_seed_cnn<float>(rng), Shape{1, 28, 28}, rng);
    Sgd<float> sgd(model.params(), {.lr = 0.001, .momentum = 0.1});
    BceWithLogits<float> loss;
    const Batch batch(pairs);
    float value = 0;
    auto step = [&] {
        sgd.zero_grad();
        value = loss.forward(model.logits(batch.left, batch.right), batch.same);
        model.backward(loss.backward());
        sgd.step();
    };
    step();  // buffers grow once
    for (auto _ : state) step();
    if (!std::isfinite(value)) state.SkipWithError("the loss diverged: the timing would not be a training step");
    report(state, step_flops(static_cast<double>(pairs)), static_cast<double>(pairs));
    state.counters["loss"] = value;
}

void inference(benchmark::State& state) {
    const index_t pairs = state.range(0);
    use_threads(state, 1);
    Rng rng(8);
    Siamese model(make_seed_cnn<float>(rng), Shape{1, 28, 28}, rng);
    const Batch batch(pairs);
    (void)model.predict(batch.left, batch.right);  // warm-up: buffers grow to this batch
    for (auto _ : state) {
        const Tensor<float>& p = model.predict(batch.left, batch.right);
        benchmark::DoNotOptimize(p.data());
    }
    report(state, 2.0 * (2.0 * static_cast<double>(pairs) * image_macs + static_cast<double>(pairs) * head_macs),
           static_cast<double>(pairs));
}

void pairs_and_threads(benchmark::internal::Benchmark* b) {
    b->ArgNames({"pairs", "threads"});
    for (int threads : {1, 2})
        for (int pairs : {25, 50, 100, 200}) b->Args({pairs, threads});
    b->UseRealTime()->Unit(benchmark::kMillisecond);
}

const bool registered = [] {
    // A fixed number of steps from the same initial weights in every run: training changes how
    // many ReLU outputs pass (the backward skips the others), so runs of different lengths would
    // time different work. Repeat runs with --benchmark_repetitions.
    pairs_and_threads(benchmark::RegisterBenchmark("train_step", train_step)->Iterations(60));
    pairs_and_threads(benchmark::RegisterBenchmark("inference", inference));
    return true;
}();

}  // namespace
