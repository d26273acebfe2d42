// SPDX-License-Identifier: MIT
// The example's learning-rate schedules: warm-up, then "a tenth every third of the run" means
// exactly three levels, whatever the run's length; "cosine" decays over the steps after the warm-up.
#include "optimizer.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <set>

TEST_CASE("--schedule step: three levels after the warm-up, the last a hundredth of the rate") {
    for (const long steps : {9L, 10L, 11L, 500L}) {
        for (const long warmup : {0L, 4L}) {
            CAPTURE(steps);
            CAPTURE(warmup);
            omniglot::Settings s;
            s.schedule = "step";
            s.epochs = 3;
            s.steps = steps;
            s.warmup = warmup;
            s.lr = 1.0;
            const auto schedule = omniglot::make_schedule(s);
            const siamese::index_t total = s.epochs * steps;
            std::set<double> levels;
            for (siamese::index_t step = warmup; step < total; ++step) levels.insert(schedule.lr(step));
            // 1, 0.1 and 0.01 (a fourth level, 0.001, once took the run's last steps).
            CHECK(levels.size() == 3);
            CHECK(*levels.rbegin() == doctest::Approx(1.0));
            CHECK(*levels.begin() == doctest::Approx(0.01));
            CHECK(schedule.lr(total - 1) == doctest::Approx(0.01));
        }
    }
}

TEST_CASE("--schedule cosine: after the warm-up the rate decays from the full rate to 0 by the run's end") {
    // The cosine spans the steps after the warm-up: spanning the whole run, it ended at 3 % of the
    // rate here instead of near 0.
    const examples::RunSchedule schedule("cosine", 1.0, 10, 100);
    CHECK(schedule.lr(4) == doctest::Approx(0.5));  // warm-up: (4 + 1) / 10
    CHECK(schedule.lr(10) == doctest::Approx(1.0));
    CHECK(schedule.lr(55) == doctest::Approx(0.5));  // half way through the 90 steps
    CHECK(schedule.lr(99) == doctest::Approx(0.5 * (1 + std::cos(std::numbers::pi * 89 / 90))));
    CHECK(schedule.lr(99) < 1e-3);
}

TEST_CASE(
    "--layer-lr groups: each layer's weight and bias in its own group; a parameter of no listed layer is an error") {
    omniglot::NetConfig c;
    c.side = 16;
    c.widths = {2, 2, 2, 2};
    c.embedding = 3;
    siamese::Rng rng(0);
    auto model = omniglot::make_model(c, rng);
    const std::vector<double> scales{1, 2, 3, 4, 5, 6};
    const auto groups = omniglot::layer_groups(model.params(), scales);
    REQUIRE(groups.size() == 6);
    for (std::size_t g = 0; g < groups.size(); ++g) {
        CAPTURE(g);
        REQUIRE(groups[g].params.size() == 2);
        CHECK(groups[g].params[0].name.rfind(omniglot::layer_prefixes[g], 0) == 0);
        CHECK(groups[g].lr_scale == scales[g]);
    }
    // A layer added to the network without a group would silently keep its initial weights.
    auto params = model.params();
    params.push_back({"backbone.6.weight", params[0].value, params[0].grad});
    CHECK_THROWS_WITH_AS(omniglot::layer_groups(params, scales),
                         doctest::Contains("parameter 'backbone.6.weight' belongs to no layer"), std::logic_error);
}
