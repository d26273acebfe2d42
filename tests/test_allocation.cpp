// SPDX-License-Identifier: MIT
// After the first step, a training step allocates nothing: every layer reuses its buffers.
// count_allocations.hpp counts every heap allocation of the process.
#include "count_allocations.hpp"
#include "test_util.hpp"

#include <cstdlib>
#include <vector>

using namespace siamese;

TEST_CASE("a training step of the tutorial network allocates nothing after the first") {
    Rng rng(111);
    Siamese model(make_seed_cnn<float>(rng), Shape{1, 28, 28}, rng);
    Sgd<float> sgd(model.params(), {.lr = 0.001, .momentum = 0.1});
    BceWithLogits<float> loss;
    const auto left = test::random_tensor<float>(Shape{20, 1, 28, 28}, rng, 0, 255);
    const auto right = test::random_tensor<float>(Shape{20, 1, 28, 28}, rng, 0, 255);
    std::vector<float> same(20, 0.0f);
    for (std::size_t i = 10; i < 20; ++i) same[i] = 1.0f;

    auto step = [&] {
        sgd.zero_grad();
        loss.forward(model.logits(left, right), same);
        model.backward(loss.backward());
        sgd.step();
    };
    step();
    step();
    const long before = test_allocations::count();
    for (int i = 0; i < 5; ++i) step();
    const long during = test_allocations::count() - before;
    CHECK(during == 0);

    // The counter works: an allocation is seen.
    const long probe = test_allocations::count();
    std::vector<int>* volatile v = new std::vector<int>(1000);  // volatile: the pair may not be elided
    CHECK(test_allocations::count() > probe);
    delete v;
}

TEST_CASE("the tutorial's step of 100 pairs allocates nothing after the first, with 1 thread and with 2") {
    Rng rng(112);
    Siamese model(make_seed_cnn<float>(rng), Shape{1, 28, 28}, rng);
    Sgd<float> sgd(model.params(), {.lr = 0.001, .momentum = 0.1});
    BceWithLogits<float> loss;
    const auto pairs = test::random_tensor<float>(Shape{200, 1, 28, 28}, rng, 0, 255);
    std::vector<float> same(100, 0.0f);
    for (std::size_t i = 50; i < 100; ++i) same[i] = 1.0f;
    auto step = [&] {
        sgd.zero_grad();
        loss.forward(model.logits_stacked(pairs), same);
        model.backward(loss.backward());
        sgd.step();
    };
    for (int threads : {1, 2}) {
        CAPTURE(threads);
        set_num_threads(threads);
        step();  // buffers grow to this batch and thread count once
        const long before = test_allocations::count();
        for (int i = 0; i < 3; ++i) step();
        CHECK(test_allocations::count() - before == 0);
    }
    set_num_threads(0);
}
