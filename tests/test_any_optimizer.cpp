// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/io/optimizer_state.hpp>
#include <siamese/optim/any_optimizer.hpp>

#include <algorithm>
#include <stdexcept>
#include <vector>

using namespace siamese;

namespace {

/// A parameter [4] and its gradient; a copy owns its own tensors.
struct OneParam {
    Tensor<double> w{Shape{4}}, dw{Shape{4}};
    explicit OneParam(Rng& rng) { w = test::random_tensor(Shape{4}, rng); }
    ParamList<double> params() { return {{"w", &w, &dw}}; }
};

/// Steps `bare` and `any` (built over copies of one parameter) on the same gradients with a
/// changing rate; true when the parameters end bit-identical.
template <class Bare>
bool steps_alike(Bare& bare, AnyOptimizer<double>& any, OneParam& a, OneParam& b) {
    Rng rng(3);
    for (int k = 0; k < 5; ++k) {
        bare.zero_grad();
        any.zero_grad();
        for (index_t i = 0; i < 4; ++i) a.dw[i] = b.dw[i] = rng.uniform(-1, 1);
        bare.set_lr(0.1 / (k + 1));
        any.set_lr(0.1 / (k + 1));
        bare.step();
        any.step();
    }
    return std::equal(a.w.begin(), a.w.end(), b.w.begin());
}

}  // namespace

TEST_CASE("AnyOptimizer steps exactly as the Sgd, Adam or AdamW it holds") {
    Rng rng(1);
    OneParam a(rng);
    {
        OneParam b(a);
        Sgd<double> bare(a.params(), {.lr = 0.1, .momentum = 0.9});
        AnyOptimizer<double> any(Sgd<double>(b.params(), {.lr = 0.1, .momentum = 0.9}));
        CHECK(any.holds<Sgd<double>>());
        CHECK_FALSE(any.holds<Adam<double>>());
        CHECK(steps_alike(bare, any, a, b));
    }
    {
        OneParam b(a);
        Adam<double> bare(a.params(), {.lr = 0.1});
        AnyOptimizer<double> any(Adam<double>(b.params(), {.lr = 0.1}));
        CHECK(any.holds<Adam<double>>());
        CHECK(steps_alike(bare, any, a, b));
    }
    {
        OneParam b(a);
        AdamW<double> bare(a.params(), {.lr = 0.1, .weight_decay = 0.1});
        AnyOptimizer<double> any(AdamW<double>(b.params(), {.lr = 0.1, .weight_decay = 0.1}));
        CHECK(any.holds<AdamW<double>>());
        CHECK(steps_alike(bare, any, a, b));
    }
}

TEST_CASE("AnyOptimizer: rates, parameters, and errors of the optimizer it holds") {
    Rng rng(2);
    OneParam a(rng), b(rng);
    std::vector<ParamGroup<double>> groups{{.params = {{"w", &a.w, &a.dw}}},
                                           {.params = {{"v", &b.w, &b.dw}}, .lr_scale = 0.5}};
    AnyOptimizer<double> any(Adam<double>(groups, {.lr = 0.02}));
    CHECK(any.lr() == 0.02);
    CHECK(any.group_lr(1) == doctest::Approx(0.01));
    REQUIRE(any.params().size() == 2);
    CHECK(any.params()[1].name == "v");
    test::require_error<std::invalid_argument>([&] { any.set_lr(-1); }, {"Adam::set_lr: lr must be"});
    CHECK(any.lr() == 0.02);  // left as it was
    // visit reaches the optimizer itself.
    CHECK(any.visit([](auto& o) { return o.groups().size(); }) == 2);
    // The groups and their rates, as on the optimizer itself.
    REQUIRE(any.groups().size() == 2);
    CHECK(any.groups()[1].lr_scale == 0.5);
    any.set_lr_scale(1, 0.25);
    CHECK(any.group_lr(1) == doctest::Approx(0.005));
    test::require_error<std::invalid_argument>([&] { any.set_lr_scale(0, -1); }, {"Adam", "lr_scale"});
    CHECK(any.groups()[0].lr_scale == 1.0);  // left as it was
    CHECK(Sgd<double>(groups, {.lr = 0.3}).lr() == 0.3);
}

TEST_CASE("AnyOptimizer's state through a checkpoint: a resumed run steps as the saved one; another kind is refused") {
    Rng rng(4);
    OneParam a(rng);
    AnyOptimizer<double> first(Adam<double>(a.params(), {.lr = 0.05}));
    for (int k = 0; k < 3; ++k) {
        for (index_t i = 0; i < 4; ++i) a.dw[i] = rng.uniform(-1, 1);
        first.step();
    }
    io::Checkpoint saved;
    io::add_optimizer_state(saved, first);
    CHECK(saved.at_integer("optimizer_steps") == 3);

    OneParam b(a);
    AnyOptimizer<double> resumed(Adam<double>(b.params(), {.lr = 0.05}));
    io::restore_optimizer_state(saved, resumed);
    for (int k = 0; k < 2; ++k) {
        for (index_t i = 0; i < 4; ++i) b.dw[i] = a.dw[i] = rng.uniform(-1, 1);
        first.step();
        resumed.step();
    }
    CHECK(std::equal(a.w.begin(), a.w.end(), b.w.begin()));

    // An Adam checkpoint has no momentum buffers for SGD: an error saying what it holds.
    OneParam c(rng);
    AnyOptimizer<double> sgd(Sgd<double>(c.params(), {.lr = 0.05, .momentum = 0.9}));
    test::require_error<io_error>([&] { io::restore_optimizer_state(saved, sgd); },
                                  {"holds Adam or AdamW moments (optimizer.m.w), not Sgd momentum buffers"});
}
