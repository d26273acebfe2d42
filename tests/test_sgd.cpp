// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using namespace siamese;

TEST_CASE("Sgd with momentum follows PyTorch's rule, checked against values computed by hand") {
    // One parameter p = 1 with gradients 0.5, then 0.25, then -1; lr 0.1, momentum 0.9.
    //   step 1: v = 0.5                    p = 1 - 0.05          = 0.95
    //   step 2: v = 0.9*0.5 + 0.25 = 0.7   p = 0.95 - 0.07       = 0.88
    //   step 3: v = 0.9*0.7 - 1 = -0.37    p = 0.88 + 0.037      = 0.917
    Tensor<double> p(Shape{1}, 1.0), g(Shape{1});
    Sgd<double> sgd({{"p", &p, &g}}, {.lr = 0.1, .momentum = 0.9});
    const double grads[] = {0.5, 0.25, -1.0};
    const double expected[] = {0.95, 0.88, 0.917};
    for (int k = 0; k < 3; ++k) {
        g[0] = grads[k];
        sgd.step();
        CHECK(p[0] == doctest::Approx(expected[k]).epsilon(1e-14));
    }
    CHECK(sgd.velocity()[0][0] == doctest::Approx(-0.37).epsilon(1e-14));
    sgd.zero_grad();
    CHECK(g[0] == 0.0);
}

TEST_CASE("Sgd: weight decay adds wd * p to the gradient before momentum") {
    // p = 2, g = 1, wd = 0.5, lr = 0.1, no momentum: p = 2 - 0.1 * (1 + 1) = 1.8
    Tensor<double> p(Shape{1}, 2.0), g(Shape{1}, 1.0);
    Sgd<double> sgd({{"p", &p, &g}}, {.lr = 0.1, .momentum = 0.0, .weight_decay = 0.5});
    sgd.step();
    CHECK(p[0] == doctest::Approx(1.8).epsilon(1e-14));
}

TEST_CASE("Sgd: options default as Adam's do (lr 0.01, no momentum), and a parameter list is no optimizer") {
    // p = 1, g = 2: p = 1 - 0.01 * 2 = 0.98, with either constructor.
    Tensor<double> p(Shape{1}, 1.0), g(Shape{1}, 2.0);
    Sgd<double> sgd(ParamList<double>{{"p", &p, &g}});
    CHECK(sgd.options().lr == 0.01);
    CHECK(sgd.options().momentum == 0.0);
    sgd.step();
    CHECK(p[0] == doctest::Approx(0.98).epsilon(1e-14));
    Sgd<double> grouped(std::vector<ParamGroup<double>>{{.params = {{"p", &p, &g}}}});
    grouped.step();
    CHECK(p[0] == doctest::Approx(0.96).epsilon(1e-14));
    // Explicit, as Adam's: a function taking an Sgd is not handed a parameter list by accident.
    static_assert(!std::is_convertible_v<ParamList<double>, Sgd<double>>);
    static_assert(!std::is_convertible_v<ParamList<double>, Adam<double>>);
}

TEST_CASE("Sgd: negative hyperparameters are rejected") {
    Tensor<double> p(Shape{1}), g(Shape{1});
    CHECK_THROWS_AS(Sgd<double>({{"p", &p, &g}}, {.lr = -1}), std::invalid_argument);
}

TEST_CASE("Sgd: an empty parameter list, infinite options and a bad set_lr are errors naming the value") {
    Tensor<double> p(Shape{1}, 1.0), g(Shape{1}, 0.5);
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    test::require_error<std::invalid_argument>([] { Sgd<double>(ParamList<double>{}, {.lr = 0.1}); },
                                               {"Sgd", "parameter list is empty"});
    struct Case {
        SgdOptions options;
        std::string message;
    };
    const Case cases[] = {
        {{.lr = inf}, "Sgd: lr must be a finite number >= 0, got inf"},
        {{.lr = 0.1, .momentum = inf}, "Sgd: momentum must be a finite number >= 0, got inf"},
        {{.lr = 0.1, .weight_decay = inf}, "Sgd: weight_decay must be a finite number >= 0, got inf"},
        {{.lr = -1e-9}, "Sgd: lr must be a finite number >= 0, got -1e-09"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.message);
        test::require_error<std::invalid_argument>([&] { Sgd<double>({{"p", &p, &g}}, c.options); }, {c.message});
    }
    // PyTorch only asks momentum >= 0: momentum above 1 stays allowed.
    CHECK_NOTHROW(Sgd<double>({{"p", &p, &g}}, {.lr = 0.1, .momentum = 1.5}));

    Sgd<double> sgd({{"p", &p, &g}}, {.lr = 0.1});
    for (const double bad : {nan, inf, -5.0}) {
        test::require_error<std::invalid_argument>([&] { sgd.set_lr(bad); }, {"Sgd::set_lr: lr must be"});
    }
    CHECK(sgd.options().lr == 0.1);  // left as it was
    sgd.step();
    CHECK(p[0] == doctest::Approx(0.95).epsilon(1e-14));  // the weights are not poisoned
    sgd.set_lr(0.0);
    CHECK(sgd.options().lr == 0.0);
}

TEST_CASE("Sgd and Adam on floats: a rate that overflows float is an error, not weights turned to inf") {
    Tensor<float> p(Shape{2}, 1.0f), g(Shape{2}, 0.5f), q(Shape{1}, 1.0f), h(Shape{1}, 0.5f);
    // 1e39 is a finite double but inf as a float.
    test::require_error<std::invalid_argument>(
        [&] {
            Sgd<float>({{"p", &p, &g}}, {.lr = 1e39});
        },
        {"Sgd: lr 1e+39 is out of range for float (at most 3.4028235e+38)"});
    test::require_error<std::invalid_argument>(
        [&] {
            Adam<float>({{"p", &p, &g}}, {.lr = 1e39});
        },
        {"Adam: lr 1e+39 / (1 - beta1 0.9), the first step's size, is out of range for float"});
    // Adam's first step divides the rate by 1 - beta1 (its bias correction): 1e38 overflowed
    // there and turned the weights to -inf; 3e37 / 0.1 = 3e38 is a float.
    test::require_error<std::invalid_argument>(
        [&] {
            Adam<float>({{"p", &p, &g}}, {.lr = 1e38});
        },
        {"Adam: lr 1e+38 / (1 - beta1 0.9), the first step's size, is out of range for float"});
    Adam<float> largest({{"p", &p, &g}}, {.lr = 3e37});
    largest.step();
    CHECK(std::isfinite(p[0]));
    p.fill(1.0f);
    // A group's rate is lr x lr_scale.
    std::vector<ParamGroup<float>> groups{{.params = {{"p", &p, &g}}}, {.params = {{"q", &q, &h}}, .lr_scale = 1e30}};
    test::require_error<std::invalid_argument>(
        [&] { Sgd<float>(groups, {.lr = 1e9}); },
        {"Sgd: lr 1e+09 x lr_scale 1e+30 of parameter group 1 is out of range for float"});
    Sgd<float> sgd(groups, {.lr = 0.1});
    test::require_error<std::invalid_argument>([&] { sgd.set_lr(1e10); }, {"Sgd::set_lr: lr 1e+10 x lr_scale 1e+30"});
    test::require_error<std::invalid_argument>([&] { sgd.set_lr_scale(0, 1e40); },
                                               {"Sgd::set_lr_scale: lr 0.1 x lr_scale 1e+40 of parameter group 0"});
    CHECK(sgd.options().lr == 0.1);  // both left as they were
    CHECK(sgd.groups()[0].lr_scale == 1.0);
    sgd.step();
    CHECK(p[0] == doctest::Approx(0.95));
    // The same rate is fine in double precision.
    Tensor<double> pd(Shape{1}, 1.0), gd(Shape{1}, 0.0);
    CHECK_NOTHROW(Sgd<double>({{"p", &pd, &gd}}, {.lr = 1e39}));
}

namespace {
using Mlp = Sequential<Linear<float>, ReLU<float>, Linear<float>>;
Mlp make_mlp(Rng& rng) { return Mlp(Linear<float>(4, 3, rng), ReLU<float>(), Linear<float>(3, 2, rng)); }
}  // namespace

TEST_CASE("Sgd: a model moved after the optimizer was built is a logic_error naming the parameter, not a write") {
    // The optimizer keeps pointers to the model's tensors; once moved, they are the moved-from,
    // empty ones, and step() wrote the whole velocity's worth of elements through them.
    Rng rng(7);
    Mlp model = make_mlp(rng);
    Sgd<float> sgd(model.params(), {.lr = 0.1, .momentum = 0.9});
    std::vector<Mlp> models;
    models.push_back(std::move(model));
    test::require_error<std::logic_error>(
        [&] { sgd.step(); }, {"Sgd: parameter '0.weight'", "now has 0 values and 0 gradients", "built for 12", "moved",
                              "build the optimizer from the model where it lives"});
    CHECK_THROWS_AS(sgd.zero_grad(), std::logic_error);
    // The optimizer built where the model now lives trains it.
    Sgd<float> moved_sgd(models[0].params(), {.lr = 0.1});
    CHECK_NOTHROW(moved_sgd.step());
}

TEST_CASE("Sgd: a parameter replaced by a tensor of another size is a logic_error naming both sizes") {
    Rng rng(7);
    Linear<float> fc(4, 3, rng);
    fc.bias().fill(1.0f);
    fc.params()[1].grad->fill(1.0f);
    Sgd<float> sgd(fc.params(), {.lr = 0.1});
    fc.weight() = Tensor<float>(Shape{30, 4});  // the velocity has 12 elements, the weight now 120
    test::require_error<std::logic_error>(
        [&] { sgd.step(); }, {"Sgd: parameter 'weight' now has 120 values and 12 gradients", "built for 12"});
    CHECK(fc.bias()[0] == 1.0f);  // the check runs before any update
}

TEST_CASE("Sgd: training a model that stays put is unaffected by the parameter check") {
    Rng rng(7);
    Mlp model = make_mlp(rng);
    Sgd<float> sgd(model.params(), {.lr = 0.5});
    const Tensor<float> x = test::random_tensor<float>(Shape{5, 4}, rng);
    const Tensor<float> before = model.layer<0>().weight();
    sgd.zero_grad();
    const Tensor<float>& y = model.forward(x);
    model.backward(Tensor<float>(y.shape(), 1.0f));
    const Tensor<float> grad = *model.layer<0>().params()[0].grad;
    sgd.step();
    for (index_t i = 0; i < before.size(); ++i) {
        CHECK(model.layer<0>().weight()[i] == doctest::Approx(before[i] - 0.5f * grad[i]).epsilon(1e-6));
    }
    CHECK(std::any_of(grad.begin(), grad.end(), [](float g) { return g != 0.0f; }));
}
