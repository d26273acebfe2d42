// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/optim/adam.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

using namespace siamese;

// All cases: one parameter p = 1 with gradients 0.5, then 0.25, then -1; lr 0.1,
// beta1 0.5, beta2 0.75, eps 0.1 (round numbers, so the arithmetic can be followed by hand).
namespace {
const double grads[] = {0.5, 0.25, -1.0};
}

TEST_CASE("Adam follows PyTorch's rule, checked against values computed by hand") {
    //   step 1: m = 0.5*0.5 = 0.25            v = 0.25*0.25 = 0.0625
    //           m^ = 0.25/(1-0.5) = 0.5       sqrt(v)/sqrt(1-0.75) = 0.25/0.5 = 0.5
    //           p = 1 - 0.1 * 0.5 / (0.5 + 0.1)                          = 0.916666...
    //   step 2: m = 0.5*0.25 + 0.5*0.25 = 0.25   v = 0.75*0.0625 + 0.25*0.0625 = 0.0625
    //           m^ = 0.25/0.75 = 1/3          sqrt(v)/sqrt(1-0.5625) = 0.25/0.661438 = 0.377964
    //           p = 0.916667 - 0.1 * (1/3) / 0.477964 = 0.916667 - 0.069740 = 0.846926
    //   step 3: m = 0.125 - 0.5 = -0.375      v = 0.046875 + 0.25 = 0.296875
    //           m^ = -0.375/0.875 = -0.428571 sqrt(v)/sqrt(1-0.421875) = 0.544862/0.760345 = 0.716600
    //           p = 0.846926 + 0.1 * 0.428571 / 0.816600 = 0.846926 + 0.052482 = 0.899409
    Tensor<double> p(Shape{1}, 1.0), g(Shape{1});
    Adam<double> adam({{"p", &p, &g}}, {.lr = 0.1, .beta1 = 0.5, .beta2 = 0.75, .eps = 0.1});
    const double expected[] = {0.9166666666666666, 0.8469264763059287, 0.8994089864672484};
    for (int k = 0; k < 3; ++k) {
        g[0] = grads[k];
        adam.step();
        CHECK(p[0] == doctest::Approx(expected[k]).epsilon(1e-14));
    }
    CHECK(adam.step_count() == 3);
    CHECK(adam.first_moments()[0][0] == doctest::Approx(-0.375).epsilon(1e-14));
    CHECK(adam.second_moments()[0][0] == doctest::Approx(0.296875).epsilon(1e-14));
    adam.zero_grad();
    CHECK(g[0] == 0.0);
}

TEST_CASE("Adam: weight decay is an L2 term added to the gradient, inside the moments") {
    // wd 0.5. step 1: g = 0.5 + 0.5*1 = 1; m = 0.5, v = 0.25; m^ = 1, sqrt(v^) = 1
    //                 p = 1 - 0.1 * 1 / (1 + 0.1) = 0.909090...
    // Steps 2 and 3 continue the same arithmetic (g = 0.25 + 0.5 p, ...).
    Tensor<double> p(Shape{1}, 1.0), g(Shape{1});
    Adam<double> adam({{"p", &p, &g}}, {.lr = 0.1, .beta1 = 0.5, .beta2 = 0.75, .eps = 0.1, .weight_decay = 0.5});
    const double expected[] = {0.9090909090909091, 0.8240179249581653, 0.8230511422482066};
    for (int k = 0; k < 3; ++k) {
        g[0] = grads[k];
        adam.step();
        CHECK(p[0] == doctest::Approx(expected[k]).epsilon(1e-14));
    }
}

TEST_CASE("AdamW: decoupled weight decay p *= 1 - lr*wd before the Adam step") {
    // wd 0.5, so p shrinks by 1 - 0.1*0.5 = 0.95 first; the moments see the raw gradient.
    //   step 1: p = 0.95;      m = 0.25, v = 0.0625: p = 0.95 - 0.1*0.5/0.6        = 0.866667
    //   step 2: p = 0.823333;  m = 0.25, v = 0.0625: p = 0.823333 - 0.133333*0.25/0.477964
    //                                                  = 0.823333 - 0.069740        = 0.753593
    //   step 3: p = 0.715914;  m = -0.375, v = 0.296875:
    //           p = 0.715914 + 0.114286*0.375/0.816600 = 0.715914 + 0.052482        = 0.768396
    Tensor<double> p(Shape{1}, 1.0), g(Shape{1});
    AdamW<double> adamw({{"p", &p, &g}}, {.lr = 0.1, .beta1 = 0.5, .beta2 = 0.75, .eps = 0.1, .weight_decay = 0.5});
    const double expected[] = {0.8666666666666666, 0.7535931429725953, 0.7683959959852853};
    for (int k = 0; k < 3; ++k) {
        g[0] = grads[k];
        adamw.step();
        CHECK(p[0] == doctest::Approx(expected[k]).epsilon(1e-14));
    }
    // Same moments as Adam without decay: decay never enters them.
    CHECK(adamw.first_moments()[0][0] == doctest::Approx(-0.375).epsilon(1e-14));
    CHECK(adamw.second_moments()[0][0] == doctest::Approx(0.296875).epsilon(1e-14));
}

TEST_CASE("Adam and AdamW: PyTorch's defaults; AdamW decays by default") {
    Tensor<double> p(Shape{1}, 1.0), g(Shape{1}, 0.0);
    Adam<double> adam({{"p", &p, &g}});
    CHECK(adam.options().lr == 1e-3);
    CHECK(adam.options().beta1 == 0.9);
    CHECK(adam.options().beta2 == 0.999);
    CHECK(adam.options().eps == 1e-8);
    CHECK(adam.options().weight_decay == 0.0);
    adam.step();  // zero gradient, no decay: p stays
    CHECK(p[0] == 1.0);
    AdamW<double> adamw({{"p", &p, &g}});
    CHECK(adamw.options().weight_decay == 0.01);
    adamw.step();  // zero gradient: only the decay, 1 - 1e-3 * 0.01
    CHECK(p[0] == doctest::Approx(1 - 1e-5).epsilon(1e-15));
}

TEST_CASE("Adam: state can be saved and restored (moments and step count)") {
    Rng rng(331);
    Tensor<double> p1 = test::random_tensor(Shape{3, 2}, rng), g1(Shape{3, 2});
    Tensor<double> p2 = p1, g2(Shape{3, 2});
    Adam<double> a({{"p", &p1, &g1}}, {.lr = 0.05});
    Adam<double> b({{"p", &p2, &g2}}, {.lr = 0.05});
    for (int k = 0; k < 4; ++k) {
        for (index_t i = 0; i < 6; ++i) g1[i] = rng.uniform(-1, 1);
        a.step();
    }
    p2 = p1;
    b.first_moments()[0] = a.first_moments()[0];
    b.second_moments()[0] = a.second_moments()[0];
    b.set_step_count(a.step_count());
    for (index_t i = 0; i < 6; ++i) g1[i] = g2[i] = rng.uniform(-1, 1);
    a.step();
    b.step();
    CHECK(std::equal(p1.begin(), p1.end(), p2.begin()));
    CHECK_THROWS_AS(b.set_step_count(-1), std::invalid_argument);
}

TEST_CASE("Adam: beta1 = beta2 = 0 is allowed, and the step is then lr * g / (|g| + eps)") {
    // No memory: m = g, v = g^2, and the bias corrections 1 - 0^t are 1.
    Tensor<double> p(Shape{1}, 1.0), g(Shape{1}, 0.5);
    Adam<double> adam({{"p", &p, &g}}, {.lr = 0.1, .beta1 = 0.0, .beta2 = 0.0, .eps = 0.1});
    adam.step();
    CHECK(p[0] == doctest::Approx(1 - 0.1 * 0.5 / 0.6).epsilon(1e-14));
}

TEST_CASE("Adam: bad hyperparameters are rejected") {
    Tensor<double> p(Shape{1}), g(Shape{1});
    CHECK_THROWS_AS(Adam<double>({{"p", &p, &g}}, {.lr = -1}), std::invalid_argument);
    CHECK_THROWS_AS(Adam<double>({{"p", &p, &g}}, {.beta1 = 1.0}), std::invalid_argument);
    CHECK_THROWS_AS(AdamW<double>({{"p", &p, &g}}, {.beta2 = -0.1}), std::invalid_argument);
    CHECK_THROWS_AS(AdamW<double>({{"p", &p, &g}}, {.weight_decay = -0.1}), std::invalid_argument);
}

TEST_CASE("Adam and AdamW: empty parameter lists, non-finite options, eps 0 and a bad set_lr are errors") {
    Tensor<double> p(Shape{1}, 1.0), g(Shape{1}, 0.0);
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    test::require_error<std::invalid_argument>([] { Adam<double>(ParamList<double>{}); },
                                               {"Adam", "parameter list is empty"});
    test::require_error<std::invalid_argument>([] { AdamW<double>(ParamList<double>{}); },
                                               {"AdamW", "parameter list is empty"});
    struct Case {
        AdamOptions options;
        std::string message;
    };
    const Case cases[] = {
        {{.lr = inf}, "Adam: lr must be a finite number >= 0, got inf"},
        {{.weight_decay = inf}, "Adam: weight_decay must be a finite number >= 0, got inf"},
        {{.beta1 = 1.0}, "Adam: beta1 must be in [0, 1), got 1"},
        {{.beta2 = nan}, "Adam: beta2 must be in [0, 1), got nan"},
        {{.eps = 0.0}, "Adam: eps must be a finite number > 0, got 0"},
        {{.eps = inf}, "Adam: eps must be a finite number > 0, got inf"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.message);
        test::require_error<std::invalid_argument>([&] { Adam<double>({{"p", &p, &g}}, c.options); }, {c.message});
    }
    test::require_error<std::invalid_argument>(
        [&] {
            AdamW<double>({{"p", &p, &g}}, {.weight_decay = nan});
        },
        {"AdamW: weight_decay", "got nan"});
    // Positive as a double, 0 as a float: a zero gradient would give 0 / 0.
    Tensor<float> pf(Shape{1}, 1.0f), gf(Shape{1}, 0.0f);
    test::require_error<std::invalid_argument>(
        [&] {
            Adam<float>({{"p", &pf, &gf}}, {.eps = 1e-300});
        },
        {"Adam: eps 1e-300 is 0 or subnormal as a float"});
    CHECK_NOTHROW(Adam<double>({{"p", &p, &g}}, {.eps = 1e-300}));  // a normal double

    Adam<double> adam({{"p", &p, &g}});
    for (const double bad : {nan, inf, -1.0}) {
        test::require_error<std::invalid_argument>([&] { adam.set_lr(bad); }, {"Adam::set_lr: lr must be"});
    }
    CHECK(adam.options().lr == 1e-3);
    g[0] = 0.5;
    adam.step();
    CHECK(std::isfinite(p[0]));
    CHECK(p[0] < 1.0);
}

namespace {
using Mlp = Sequential<Linear<float>, ReLU<float>, Linear<float>>;
Mlp make_mlp(Rng& rng) { return Mlp(Linear<float>(4, 3, rng), ReLU<float>(), Linear<float>(3, 2, rng)); }
}  // namespace

TEST_CASE("Adam and AdamW: a model moved after the optimizer was built is a logic_error, not a write") {
    // The optimizer keeps pointers to the model's tensors; once moved, they are the moved-from,
    // empty ones, and step() wrote the whole moments' worth of elements through them.
    Rng rng(7);
    Mlp model = make_mlp(rng);
    Adam<float> adam(model.params());
    AdamW<float> adamw(model.params());
    std::vector<Mlp> models;
    models.push_back(std::move(model));
    test::require_error<std::logic_error>(
        [&] { adam.step(); }, {"Adam: parameter '0.weight'", "now has 0 values and 0 gradients", "built for 12",
                               "moved", "build the optimizer from the model where it lives"});
    CHECK(adam.step_count() == 0);  // the failed step did not count
    test::require_error<std::logic_error>([&] { adamw.step(); }, {"AdamW: parameter '0.weight'"});
    CHECK_THROWS_AS(adam.zero_grad(), std::logic_error);
    Adam<float> moved_adam(models[0].params());
    CHECK_NOTHROW(moved_adam.step());
}

TEST_CASE("Adam: a parameter replaced by a tensor of another size is a logic_error naming both sizes") {
    Rng rng(7);
    Linear<float> fc(4, 3, rng);
    fc.bias().fill(1.0f);
    fc.params()[1].grad->fill(1.0f);
    Adam<float> adam(fc.params());
    fc.weight() = Tensor<float>(Shape{30, 4});  // the moments have 12 elements, the weight now 120
    test::require_error<std::logic_error>(
        [&] { adam.step(); }, {"Adam: parameter 'weight' now has 120 values and 12 gradients", "built for 12"});
    CHECK(fc.bias()[0] == 1.0f);  // the check runs before any update
}

TEST_CASE("Adam: training a model that stays put is unaffected by the parameter check") {
    // The first Adam step moves every weight with a non-zero gradient by lr against its sign
    // (m^ / sqrt(v^) = g / |g|, up to eps).
    Rng rng(7);
    Mlp model = make_mlp(rng);
    Adam<float> adam(model.params(), {.lr = 0.01});
    const Tensor<float> x = test::random_tensor<float>(Shape{5, 4}, rng);
    const Tensor<float> before = model.layer<0>().weight();
    adam.zero_grad();
    const Tensor<float>& y = model.forward(x);
    model.backward(Tensor<float>(y.shape(), 1.0f));
    const Tensor<float> grad = *model.layer<0>().params()[0].grad;
    adam.step();
    CHECK(adam.step_count() == 1);
    int moved = 0;
    for (index_t i = 0; i < before.size(); ++i) {
        if (std::abs(grad[i]) < 1e-4f) continue;
        const float expected = before[i] - (grad[i] > 0 ? 0.01f : -0.01f);
        CHECK(model.layer<0>().weight()[i] == doctest::Approx(expected).epsilon(1e-4));
        ++moved;
    }
    CHECK(moved > 0);
}
