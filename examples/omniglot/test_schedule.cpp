// SPDX-License-Identifier: MIT
// The example's learning-rate schedules: warm-up, then "a tenth every third of the run" means
// exactly three levels, whatever the run's length.
#include "optimizer.hpp"

#include <doctest/doctest.h>

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
