// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <limits>
#include <string>

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
