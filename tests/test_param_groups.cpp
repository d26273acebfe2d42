// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/optim/adam.hpp>
#include <siamese/optim/sgd.hpp>

#include <limits>

using namespace siamese;

TEST_CASE("Sgd: each parameter group steps with lr * lr_scale and its own weight decay") {
    // lr 0.1, no momentum, every gradient 1, every p = 2:
    //   group 0 (scale 1, optimizer's wd 0.5):  p = 2 - 0.1   * (1 + 0.5*2) = 1.8
    //   group 1 (scale 0.5, wd 0):              p = 2 - 0.05  * 1           = 1.95
    //   group 2 (scale 2, wd 0.25):             p = 2 - 0.2   * (1 + 0.5)   = 1.7
    Tensor<double> p0(Shape{2}, 2.0), g0(Shape{2}, 1.0), p1(Shape{1}, 2.0), g1(Shape{1}, 1.0), p2(Shape{3}, 2.0),
        g2(Shape{3}, 1.0);
    Sgd<double> sgd({{.params = {{"p0", &p0, &g0}}},
                     {.params = {{"p1", &p1, &g1}}, .lr_scale = 0.5, .weight_decay = 0.0},
                     {.params = {{"p2", &p2, &g2}}, .lr_scale = 2.0, .weight_decay = 0.25}},
                    {.lr = 0.1, .weight_decay = 0.5});
    sgd.step();
    for (const double v : p0) CHECK(v == doctest::Approx(1.8).epsilon(1e-14));
    CHECK(p1[0] == doctest::Approx(1.95).epsilon(1e-14));
    for (const double v : p2) CHECK(v == doctest::Approx(1.7).epsilon(1e-14));

    // params() is the groups' parameters in order; velocities follow it by position.
    REQUIRE(sgd.params().size() == 3);
    CHECK(sgd.params()[1].name == "p1");
    CHECK(sgd.velocity()[2].shape() == Shape{3});
    REQUIRE(sgd.groups().size() == 3);
    CHECK(sgd.groups()[2].begin == 2);
    CHECK(sgd.groups()[2].end == 3);
    CHECK(sgd.group_lr(1) == doctest::Approx(0.05));

    // A per-layer decay as in Koch et al.: lower one group's rate alone.
    sgd.set_lr_scale(0, 0.99);
    CHECK(sgd.group_lr(0) == doctest::Approx(0.099));
    CHECK_THROWS_AS(sgd.set_lr_scale(3, 1.0), std::out_of_range);
    CHECK_THROWS_AS(sgd.set_lr_scale(0, -1.0), std::invalid_argument);
}

TEST_CASE("Sgd: the single-list constructor is one group with scale 1 (existing code unchanged)") {
    Tensor<double> p(Shape{1}, 1.0), g(Shape{1}, 0.5);
    Sgd<double> sgd({{"p", &p, &g}}, {.lr = 0.1, .momentum = 0.9});
    REQUIRE(sgd.groups().size() == 1);
    CHECK(sgd.groups()[0].lr_scale == 1.0);
    CHECK(!sgd.groups()[0].weight_decay.has_value());
    sgd.step();
    CHECK(p[0] == doctest::Approx(0.95).epsilon(1e-14));
}

TEST_CASE("Adam and AdamW: groups get their own rate and weight decay") {
    // Adam's first step moves each weight by lr * m^/(sqrt(v^) + eps) = lr * g/(|g| + eps) ~ lr * sign(g):
    // group 0 (scale 1) by 0.1, group 1 (scale 0.25) by 0.025.
    Tensor<double> a(Shape{1}, 1.0), ga(Shape{1}, 3.0), b(Shape{1}, 1.0), gb(Shape{1}, 3.0);
    Adam<double> adam({{.params = {{"a", &a, &ga}}}, {.params = {{"b", &b, &gb}}, .lr_scale = 0.25}}, {.lr = 0.1});
    adam.step();
    CHECK(a[0] == doctest::Approx(0.9).epsilon(1e-8));
    CHECK(b[0] == doctest::Approx(0.975).epsilon(1e-8));

    // AdamW with a zero gradient: only the decoupled decay, per group:
    //   group 0: wd 0.01 (default), lr 0.1  -> p = 1 - 0.1*0.01  = 0.999
    //   group 1: wd 0.5, lr 0.1*0.5 = 0.05  -> p = 1 - 0.05*0.5  = 0.975
    Tensor<double> c(Shape{1}, 1.0), gc(Shape{1}), d(Shape{1}, 1.0), gd(Shape{1});
    AdamW<double> adamw(
        {{.params = {{"c", &c, &gc}}}, {.params = {{"d", &d, &gd}}, .lr_scale = 0.5, .weight_decay = 0.5}},
        {.lr = 0.1});
    adamw.step();
    CHECK(c[0] == doctest::Approx(0.999).epsilon(1e-15));
    CHECK(d[0] == doctest::Approx(0.975).epsilon(1e-15));
}

TEST_CASE("Parameter groups: a parameter in two groups, bad scales and empty group lists are errors") {
    Tensor<double> p(Shape{1}), g(Shape{1});
    CHECK_THROWS_WITH_AS(Sgd<double>({{.params = {{"p", &p, &g}}}, {.params = {{"p", &p, &g}}}}, {.lr = 0.1}),
                         doctest::Contains("is given twice (in one group or in two)"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(Sgd<double>(ParamList<double>{{"p", &p, &g}, {"q", &p, &g}}, {.lr = 0.1}),
                         doctest::Contains("parameter 'q' is given twice"), std::invalid_argument);
    CHECK_THROWS_AS(Adam<double>({{.params = {{"p", &p, &g}}, .lr_scale = -1.0}}), std::invalid_argument);
    CHECK_THROWS_AS(AdamW<double>({{.params = {{"p", &p, &g}}, .weight_decay = -1.0}}), std::invalid_argument);
    CHECK_THROWS_AS(Sgd<double>(std::vector<ParamGroup<double>>{}, {.lr = 0.1}), std::invalid_argument);
}

TEST_CASE("Parameter groups: lr_scale 0 freezes a group; an infinite weight decay is an error naming the group") {
    Tensor<double> a(Shape{1}, 1.0), ga(Shape{1}, 0.5), b(Shape{1}, 1.0), gb(Shape{1}, 0.5);
    Sgd<double> sgd({{.params = {{"a", &a, &ga}}}, {.params = {{"b", &b, &gb}}, .lr_scale = 0.0}}, {.lr = 0.1});
    sgd.step();
    CHECK(a[0] == doctest::Approx(0.95));
    CHECK(b[0] == 1.0);
    sgd.set_lr_scale(0, 0.0);  // frozen later, too
    sgd.step();
    CHECK(a[0] == doctest::Approx(0.95));
    test::require_error<std::invalid_argument>(
        [&] {
            Sgd<double>({{.params = {{"a", &a, &ga}}, .weight_decay = std::numeric_limits<double>::infinity()}},
                        {.lr = 0.1});
        },
        {"Sgd: parameter group 0 needs a non-negative finite weight_decay, got inf"});
}

TEST_CASE("Parameter groups: a group with no parameters is an error naming the group") {
    Tensor<double> p(Shape{1}), g(Shape{1});
    test::require_error<std::invalid_argument>(
        [&] {
            Sgd<double>({{.params = {{"p", &p, &g}}}, {.params = {}, .lr_scale = 0.1}}, {.lr = 0.1});
        },
        {"Sgd: parameter group 1 has no parameters"});
    test::require_error<std::invalid_argument>([] { Adam<double>(std::vector<ParamGroup<double>>(1)); },
                                               {"Adam: parameter group 0 has no parameters"});
    test::require_error<std::invalid_argument>([] { AdamW<float>(std::vector<ParamGroup<float>>(1)); },
                                               {"AdamW: parameter group 0 has no parameters"});
}

TEST_CASE(
    "Parameter groups: a parameter without a value or gradient, or whose gradient has another shape, is refused") {
    // A gradient of another shape would be read past its end (or in part) at every step.
    Tensor<double> p(Shape{2}), g(Shape{2}), g_wide(Shape{3}), g_flat(Shape{1, 2});
    for (const Param<double>& bad : {Param<double>{"wide", &p, &g_wide}, Param<double>{"flat", &p, &g_flat},
                                     Param<double>{"no_value", nullptr, &g}, Param<double>{"no_grad", &p, nullptr}}) {
        CAPTURE(bad.name);
        test::require_error<std::invalid_argument>(
            [&] {
                Sgd<double>({{.params = {{"ok", &g, &g}}}, {.params = {bad}}}, {.lr = 0.1});
            },
            {"Sgd: parameter '" + bad.name + "' needs a value and a gradient of the same shape"});
    }
}
