// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/training/collapse_detector.hpp>
#include <siamese/training/numeric_guard.hpp>

#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace siamese;

namespace {

struct Step {
    Rng rng{201};
    Siamese<SeedCnn<float>> model{make_seed_cnn<float>(rng), Shape{1, 28, 28}, rng};
    BceWithLogits<float> loss;
    Tensor<float> pairs = test::random_tensor<float>(Shape{8, 1, 28, 28}, rng, 0, 255);
    std::vector<float> same{0, 0, 1, 1};

    double run() {
        zero_grad(model.params());
        const double value = loss.forward(model.logits_stacked(pairs), same);
        model.backward(loss.backward());
        return value;
    }
};

template <class F>
std::string numeric_error_message(F&& f) {
    try {
        f();
    } catch (const numeric_error& e) {
        return e.what();
    }
    return "(no numeric_error)";
}

}  // namespace

TEST_CASE("check_step: a healthy step passes") {
    Step s;
    const double value = s.run();
    CHECK_NOTHROW(training::check_step(s.model, s.pairs, value, s.model.params(), "epoch 1, batch 1"));
}

TEST_CASE("check_step: a non-finite loss stops training though every gradient is finite") {
    // E.g. a loss that overflowed in its own arithmetic after the backward pass had run.
    Step s;
    (void)s.run();
    REQUIRE_FALSE(training::first_non_finite_gradient(s.model.params()).has_value());
    const auto msg = numeric_error_message([&] {
        training::check_step(s.model, s.pairs, std::numeric_limits<double>::infinity(), s.model.params(), "batch 6");
    });
    INFO(msg);
    CHECK(msg.find("training stopped at batch 6: the loss is inf") != std::string::npos);
    CHECK(msg.find("the loss (the forward pass is finite") != std::string::npos);
}

TEST_CASE("check_step: a NaN pixel is traced to the input") {
    Step s;
    s.pairs[5] = std::numeric_limits<float>::quiet_NaN();
    const double value = s.run();
    const auto msg = numeric_error_message(
        [&] { training::check_step(s.model, s.pairs, value, s.model.params(), "epoch 2, batch 7"); });
    INFO(msg);
    CHECK(msg.find("epoch 2, batch 7") != std::string::npos);
    CHECK(msg.find("the input images") != std::string::npos);
}

TEST_CASE("check_step: an overflow is traced to the first layer whose output is not finite") {
    Step s;
    for (auto& w : *s.model.params()[0].value) w *= 10;    // finite weights, large enough that
    for (index_t i = 0; i < 784; ++i) s.pairs[i] = 3e38f;  // conv1's sums of these pixels overflow
    const double value = s.run();
    const auto msg =
        numeric_error_message([&] { training::check_step(s.model, s.pairs, value, s.model.params(), "batch 3"); });
    INFO(msg);
    CHECK(msg.find("training stopped at batch 3") != std::string::npos);
    CHECK(msg.find("backbone layer 0 (") != std::string::npos);
}

TEST_CASE("check_step: an overflow in the head alone is traced to the head's logits") {
    // The backbone's embeddings are finite; the head's finite but huge weights overflow the logit.
    Step s;
    for (auto& w : s.model.head().weight()) w = 3e38f;
    s.model.head().bias()[0] = 3e38f;
    REQUIRE(training::locate_non_finite_backbone(s.model, s.pairs).empty());
    CHECK(training::locate_non_finite_forward(s.model, s.pairs) == "the head's logits (Linear(84, 1))");
    const double value = s.run();
    const auto msg =
        numeric_error_message([&] { training::check_step(s.model, s.pairs, value, s.model.params(), "batch 8"); });
    INFO(msg);
    CHECK(msg.find("training stopped at batch 8") != std::string::npos);
    CHECK(msg.find("the head's logits (Linear(84, 1))") != std::string::npos);
}

TEST_CASE("check_step: a NaN weight and a NaN gradient are named") {
    Step s;
    (*s.model.params()[2].value)[10] = std::numeric_limits<float>::quiet_NaN();  // backbone.3.weight
    const double value = s.run();
    const auto msg =
        numeric_error_message([&] { training::check_step(s.model, s.pairs, value, s.model.params(), "batch 4"); });
    INFO(msg);
    CHECK(msg.find("the parameter " + s.model.params()[2].name) != std::string::npos);

    Step t;
    const double ok = t.run();
    (*t.model.params()[4].grad)[0] = std::numeric_limits<float>::infinity();
    const auto msg2 =
        numeric_error_message([&] { training::check_step(t.model, t.pairs, ok, t.model.params(), "batch 5"); });
    INFO(msg2);
    CHECK(msg2.find("the gradient of " + t.model.params()[4].name) != std::string::npos);
}

TEST_CASE("check_embedding_step: any batch size; non-finite embeddings stop training though the loss hides them") {
    Step s;
    // Nine images: not stacked pairs, which check_step's head check would need (it threw
    // shape_error here instead of the diagnosis).
    const auto images = test::random_tensor<float>(Shape{9, 1, 28, 28}, s.rng, 0, 255);
    zero_grad(s.model.params());
    CHECK_NOTHROW(
        training::check_embedding_step(s.model, images, s.model.embed(images), 0.5, s.model.params(), "batch 1"));
    const auto nan_loss = numeric_error_message([&] {
        training::check_embedding_step(s.model, images, s.model.embed(images), std::numeric_limits<double>::quiet_NaN(),
                                       s.model.params(), "batch 2");
    });
    INFO(nan_loss);
    CHECK(nan_loss.find("training stopped at batch 2: the loss is nan") != std::string::npos);
    CHECK(nan_loss.find("the loss (the forward pass is finite") != std::string::npos);

    // Finite weights and pixels whose embeddings overflow: a loss of 0 with zero gradients
    // (what a margin loss skipping NaN distances reported) still stops.
    auto big = images;
    for (auto& w : *s.model.params()[0].value) w *= 10;
    for (index_t i = 0; i < 784; ++i) big[i] = 3e38f;
    const auto& overflowed = s.model.embed(big);
    REQUIRE_FALSE(training::all_finite(overflowed));
    const auto hidden = numeric_error_message(
        [&] { training::check_embedding_step(s.model, big, overflowed, 0.0, s.model.params(), "batch 3"); });
    INFO(hidden);
    CHECK(hidden.find("training stopped at batch 3: the embeddings are not finite") != std::string::npos);
    CHECK(hidden.find("the output of backbone layer 0 (") != std::string::npos);
    // When the loss shows it too, the loss is what is reported, not "the loss does not show it".
    const auto shown = numeric_error_message([&] {
        training::check_embedding_step(s.model, big, overflowed, std::numeric_limits<double>::quiet_NaN(),
                                       s.model.params(), "batch 4");
    });
    INFO(shown);
    CHECK(shown.find("training stopped at batch 4: the loss is nan") != std::string::npos);
}

TEST_CASE("check_update: the weights a step leaves are checked before they are saved") {
    // The step checks see an update only through the next batch: a run's last update was never
    // looked at, and a diverged network was saved and evaluated (NaN scores read as chance).
    Step s;
    s.run();
    CHECK_NOTHROW(training::check_update(s.model, s.pairs, s.model.params(), "epoch 1, batch 1"));
    CHECK_NOTHROW(training::check_embedding_update(s.model, s.pairs, s.model.params(), "epoch 1, batch 1"));

    // Finite weights whose forward pass overflows: both convolutions scaled as an exploding
    // step would (outputs near 1e22, then beyond float's 3.4e38).
    for (auto& w : *s.model.params()[0].value) w *= 1e20f;
    for (auto& w : *s.model.params()[2].value) w *= 1e20f;
    REQUIRE_FALSE(training::first_non_finite_value(s.model.params()).has_value());
    const auto overflow = numeric_error_message(
        [&] { training::check_update(s.model, s.pairs, s.model.params(), "epoch 5, batch 1000"); });
    INFO(overflow);
    CHECK(overflow.find("training stopped after epoch 5, batch 1000: its update left a non-finite value in the "
                        "output of backbone layer") != std::string::npos);
    CHECK(overflow.find("Nothing was saved from that update") != std::string::npos);
    const auto embedded =
        numeric_error_message([&] { training::check_embedding_update(s.model, s.pairs, s.model.params(), "batch 9"); });
    INFO(embedded);
    CHECK(embedded.find("training stopped after batch 9: its update left a non-finite value in the output of "
                        "backbone layer") != std::string::npos);

    Step t;
    (*t.model.params()[3].value)[0] = std::numeric_limits<float>::infinity();
    const auto weight =
        numeric_error_message([&] { training::check_embedding_update(t.model, t.pairs, t.model.params(), "batch 2"); });
    INFO(weight);
    CHECK(weight.find("a non-finite value in the parameter " + t.model.params()[3].name) != std::string::npos);
}

TEST_CASE("CollapseDetector warns once when accuracy sits at 0.5 or the output is constant") {
    training::CollapseDetector stuck({.window = 10});
    for (int i = 0; i < 9; ++i) CHECK_FALSE(stuck.add(0.5, 1.0).has_value());
    const auto warning = stuck.add(0.51, 1.0);
    REQUIRE(warning.has_value());
    CHECK(warning->find("learning rate") != std::string::npos);
    CHECK_FALSE(stuck.add(0.5, 1.0).has_value());  // once

    training::CollapseDetector learning({.window = 10});
    for (int i = 0; i < 30; ++i) CHECK_FALSE(learning.add(0.9, 2.0).has_value());

    training::CollapseDetector constant({.window = 5});
    std::optional<std::string> w;
    for (int i = 0; i < 5; ++i) w = constant.add(0.8, 0.0);
    REQUIRE(w.has_value());
    CHECK(w->find("same score") != std::string::npos);
    CHECK(training::CollapseDetector::spread(std::vector<float>{1, -2, 3}) == 5.0);
    // Equal logits spread 0 however large (from +-1e300, 2e300 spread 1e300 and inf spread inf).
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(training::CollapseDetector::spread(std::vector<double>{2e300, 2e300}) == 0.0);
    CHECK(training::CollapseDetector::spread(std::vector<double>{inf, inf}) == 0.0);
    CHECK(training::CollapseDetector::spread(std::vector<double>{-inf, inf}) == inf);
    CHECK(training::CollapseDetector::spread(std::vector<double>{}) == 0.0);
}

TEST_CASE("CollapseDetector: the window slides, its bounds are inclusive as documented, one wide batch is enough") {
    // Accuracy 1 for three batches, then 0.5: the window of 3 forgets the good start.
    training::CollapseDetector sliding({.window = 3});
    for (int i = 0; i < 3; ++i) CHECK_FALSE(sliding.add(1.0, 1.0).has_value());
    CHECK_FALSE(sliding.add(0.5, 1.0).has_value());
    CHECK_FALSE(sliding.add(0.5, 1.0).has_value());
    const auto stuck = sliding.add(0.5, 1.0);
    REQUIRE(stuck.has_value());
    CHECK(stuck->find("its pair accuracy stayed at 0.5") != std::string::npos);
    CHECK(sliding.window_accuracies() == std::vector<double>{0.5, 0.5, 0.5});
    CHECK(sliding.window_spreads().size() == 3);

    // "Within 0.5 +- band" includes its edge; "spread below the minimum" excludes it.
    training::CollapseDetector edge({.window = 1, .accuracy_band = 0.25, .min_logit_spread = 0.5});
    CHECK(edge.add(0.75, 1.0).has_value());
    training::CollapseDetector at_minimum({.window = 1, .accuracy_band = 0.25, .min_logit_spread = 0.5});
    CHECK_FALSE(at_minimum.add(1.0, 0.5).has_value());

    // The output is constant only if no batch of the window spread its logits.
    training::CollapseDetector one_wide({.window = 2});
    CHECK_FALSE(one_wide.add(1.0, 0.0).has_value());
    CHECK_FALSE(one_wide.add(1.0, 1.0).has_value());
}

TEST_CASE("CollapseDetector: a restored window warns exactly when the uninterrupted one does") {
    training::CollapseDetector whole({.window = 8});
    training::CollapseDetector first_half({.window = 8});
    for (int i = 0; i < 5; ++i) {
        CHECK_FALSE(whole.add(0.5, 1.0).has_value());
        CHECK_FALSE(first_half.add(0.5, 1.0).has_value());
    }
    training::CollapseDetector resumed({.window = 8});
    resumed.restore(first_half.window_accuracies(), first_half.window_spreads(), first_half.warned());
    for (int i = 5; i < 8; ++i) {
        const bool last = i == 7;
        CHECK(whole.add(0.5, 1.0).has_value() == last);
        CHECK(resumed.add(0.5, 1.0).has_value() == last);  // a fresh detector would need 8 more batches
    }
    CHECK(resumed.warned());
    CHECK(resumed.window_accuracies() == whole.window_accuracies());

    training::CollapseDetector other({.window = 3});
    CHECK_THROWS_AS(other.restore({0.5, 0.5}, {1.0}, false), std::invalid_argument);
    CHECK_THROWS_AS(other.restore({0.5, 0.5, 0.5, 0.5}, {1, 1, 1, 1}, false), std::invalid_argument);
}

TEST_CASE("CollapseDetector: a window below 1 and NaN or negative thresholds are errors naming the option") {
    using training::CollapseDetector;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    test::require_error<std::invalid_argument>([] { CollapseDetector({.window = 0}); },
                                               {"CollapseDetector: window must be at least 1 batch, got 0"});
    test::require_error<std::invalid_argument>([] { CollapseDetector({.window = -1}); }, {"window", "got -1"});
    test::require_error<std::invalid_argument>(
        [&] { CollapseDetector({.window = 3, .accuracy_band = nan}); },
        {"CollapseDetector: accuracy_band must be a finite number >= 0, got nan"});
    test::require_error<std::invalid_argument>(
        [] { CollapseDetector({.window = 3, .accuracy_band = std::numeric_limits<double>::infinity()}); },
        {"accuracy_band", "got inf"});
    test::require_error<std::invalid_argument>([&] { CollapseDetector({.window = 3, .min_logit_spread = nan}); },
                                               {"CollapseDetector: min_logit_spread must be", "got nan"});
    test::require_error<std::invalid_argument>([] { CollapseDetector({.window = 3, .min_logit_spread = -1e-9}); },
                                               {"min_logit_spread", "got -1e-09"});
    // The smallest window still works: one healthy batch, no warning; one constant one, a warning.
    CollapseDetector one({.window = 1});
    CHECK_FALSE(one.add(0.95, 2.0).has_value());
    CHECK(one.add(0.95, 0.0).has_value());
}
