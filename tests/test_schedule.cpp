// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/optim/adam.hpp>
#include <siamese/optim/schedule.hpp>
#include <siamese/optim/sgd.hpp>

#include <cmath>
#include <limits>

using namespace siamese;

static_assert(LrSchedule<StepDecay> && LrSchedule<CosineAnnealing> && LrSchedule<ConstantLr> &&
              LrSchedule<LinearWarmup<CosineAnnealing>> && LrSchedule<LinearWarmup<LinearWarmup<ConstantLr>>>);

TEST_CASE("StepDecay: base_lr * gamma^floor(step / step_size)") {
    const StepDecay s(0.1, 10, 0.5);
    CHECK(s.lr(0) == 0.1);
    CHECK(s.lr(9) == 0.1);
    CHECK(s.lr(10) == doctest::Approx(0.05).epsilon(1e-15));
    CHECK(s.lr(25) == doctest::Approx(0.025).epsilon(1e-15));
    CHECK(s.lr(30) == doctest::Approx(0.0125).epsilon(1e-15));
}

TEST_CASE("CosineAnnealing: half a cosine from base_lr to min_lr, then min_lr") {
    const CosineAnnealing s(1.0, 100, 0.1);
    CHECK(s.lr(0) == doctest::Approx(1.0).epsilon(1e-15));
    CHECK(s.lr(50) == doctest::Approx(0.55).epsilon(1e-15));  // 0.1 + 0.9 * (1 + cos(pi/2)) / 2
    // step 25: 0.1 + 0.9 * (1 + cos(pi/4)) / 2 = 0.1 + 0.45 * 1.7071068 = 0.8681981
    CHECK(s.lr(25) == doctest::Approx(0.1 + 0.45 * (1 + std::sqrt(0.5))).epsilon(1e-14));
    CHECK(s.lr(100) == doctest::Approx(0.1).epsilon(1e-15));
    CHECK(s.lr(1000) == doctest::Approx(0.1).epsilon(1e-15));
}

TEST_CASE("LinearWarmup then cosine: a ramp to the target, then the cosine's clock starts") {
    const LinearWarmup s(4, CosineAnnealing(0.2, 10));
    // warm-up: 0.2 * (step + 1) / 4
    CHECK(s.lr(0) == doctest::Approx(0.05).epsilon(1e-15));
    CHECK(s.lr(1) == doctest::Approx(0.10).epsilon(1e-15));
    CHECK(s.lr(3) == doctest::Approx(0.20).epsilon(1e-15));
    // then the cosine from its step 0: step 4 -> 0.2, step 9 -> cosine step 5 = 0.1, step 14 -> 0
    CHECK(s.lr(4) == doctest::Approx(0.2).epsilon(1e-15));
    CHECK(s.lr(9) == doctest::Approx(0.1).epsilon(1e-14));
    CHECK(s.lr(14) == doctest::Approx(0.0));
    // and a warm-up into a step decay, no warm-up at all
    const LinearWarmup w(2, StepDecay(1.0, 3, 0.1));
    CHECK(w.lr(0) == 0.5);
    CHECK(w.lr(2) == 1.0);
    CHECK(w.lr(5) == doctest::Approx(0.1));
    const LinearWarmup none(0, ConstantLr(0.3));
    CHECK(none.lr(0) == 0.3);
}

TEST_CASE("Schedules set the optimizer's lr; every parameter group follows with its scale") {
    Tensor<double> a(Shape{1}), ga(Shape{1}), b(Shape{1}), gb(Shape{1});
    Sgd<double> sgd({{.params = {{"a", &a, &ga}}}, {.params = {{"b", &b, &gb}}, .lr_scale = 0.1}}, {.lr = 1.0});
    Adam<double> adam({{"a", &a, &ga}});
    const StepDecay s(0.5, 2, 0.1);
    s.apply(sgd, 3);
    s.apply(adam, 0);
    CHECK(sgd.options().lr == doctest::Approx(0.05));
    CHECK(sgd.group_lr(1) == doctest::Approx(0.005));
    CHECK(adam.options().lr == 0.5);
}

TEST_CASE("Schedules reject bad settings and negative steps") {
    CHECK_THROWS_AS(StepDecay(0.1, 0), std::invalid_argument);
    CHECK_THROWS_AS(StepDecay(-0.1, 10), std::invalid_argument);
    CHECK_THROWS_AS(CosineAnnealing(0.1, 0), std::invalid_argument);
    CHECK_THROWS_AS(LinearWarmup(-1, ConstantLr(0.1)), std::invalid_argument);
    CHECK_THROWS_AS((void)StepDecay(0.1, 5).lr(-1), std::invalid_argument);
    CHECK_THROWS_AS((void)ConstantLr(0.1).lr(-1), std::invalid_argument);
    CHECK_THROWS_AS((void)CosineAnnealing(0.1, 10).lr(-1), std::invalid_argument);
    CHECK_THROWS_AS((void)LinearWarmup(5, ConstantLr(0.1)).lr(-1), std::invalid_argument);
}

TEST_CASE("StepDecay: gamma outside (0, 1] is an error naming the value; schedules pass set_lr's checks") {
    test::require_error<std::invalid_argument>([] { StepDecay(0.1, 1, 10.0); },
                                               {"StepDecay: gamma must be in (0, 1], got 10"});
    test::require_error<std::invalid_argument>([] { StepDecay(0.1, 1, 1.0000001); }, {"got 1.0000001"});
    test::require_error<std::invalid_argument>([] { StepDecay(0.1, 1, 0.0); }, {"StepDecay: gamma", "got 0"});
    test::require_error<std::invalid_argument>([] { StepDecay(0.1, 1, std::numeric_limits<double>::infinity()); },
                                               {"StepDecay: gamma", "got inf"});
    test::require_error<std::invalid_argument>([] { StepDecay(0.1, 1, std::numeric_limits<double>::quiet_NaN()); },
                                               {"StepDecay: gamma", "got nan"});
    CHECK(StepDecay(0.1, 1, 1.0).lr(1000) == 0.1);

    // set_lr now rejects NaN, infinite and negative rates: every schedule's rates pass, even
    // a decay that underflows to 0 and a cosine whose floor is above its start.
    Tensor<double> a(Shape{1}), ga(Shape{1});
    Sgd<double> sgd({{"a", &a, &ga}}, {.lr = 1.0});
    Adam<double> adam({{"a", &a, &ga}});
    const StepDecay decay(0.5, 1, 0.1);
    const LinearWarmup warm(3, CosineAnnealing(0.1, 7, 0.3));
    for (const index_t step : {index_t{0}, index_t{1}, index_t{2}, index_t{5}, index_t{10}, index_t{1000}}) {
        decay.apply(sgd, step);
        CHECK(sgd.options().lr == decay.lr(step));
        warm.apply(adam, step);
        CHECK(adam.options().lr == warm.lr(step));
    }
    CHECK(sgd.options().lr == 0.0);  // 0.5 * 0.1^1000 underflows to 0, a valid rate
}
