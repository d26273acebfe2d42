// SPDX-License-Identifier: MIT
// The example's all-pairs loss against central differences of its own forward: dL/de and dL/db.
// With focus = 0 the pair weights are constants and the loss an ordinary function of the
// embeddings, so the check is exact up to rounding. (With focus > 0 the softmax weights are held
// constant in the backward by design, so finite differences would not match; that path shares
// every line of the backward checked here.)
#include "all_pairs_bce.hpp"
#include "network.hpp"

#include <doctest/doctest.h>

#include <cmath>

namespace {

using omniglot::AllPairsBce;
using omniglot::Model;
using siamese::index_t;

struct Fixture {
    siamese::Rng rng{7};
    Model model =
        omniglot::make_model(omniglot::NetConfig{.side = 16, .widths = {4, 4, 4, 4}, .kernel = 3, .embedding = 6}, rng);
    siamese::Tensor<float> e{siamese::Shape{6, 6}};
    std::vector<siamese::data::label_t> labels{0, 0, 1, 1, 2, 2};
    Fixture() {
        // Embeddings on a coarse grid plus distinct offsets: no two coordinates near each other,
        // so |e_i - e_j| stays off its kink for the finite differences.
        for (index_t i = 0; i < e.size(); ++i)
            e[i] = static_cast<float>(0.37 * static_cast<double>(i % 7) + 0.11 * static_cast<double>(i));
        for (auto& w : model.head().weight()) w = static_cast<float>(rng.uniform(-0.5, 0.5));
    }
};

double relative_error(double a, double b) { return std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1e-3}); }

void check_gradients(double focus) {
    Fixture f;
    AllPairsBce loss(focus);
    for (auto& p : f.model.head().params()) p.grad->zero();
    (void)loss.forward(f.model, f.e, f.labels);
    const siamese::Tensor<float> grad_e = loss.backward(f.model, f.e);
    const double grad_b = (*f.model.head().params()[1].grad)[0];
    const float h = 1e-2f;
    const double tolerance = 2e-3;  // float embeddings, double sums: central differences to ~1e-4
    double worst = 0;
    for (index_t i = 0; i < f.e.size(); ++i) {
        const float saved = f.e[i];
        AllPairsBce probe(focus);
        f.e[i] = saved + h;
        const double up = probe.forward(f.model, f.e, f.labels);
        f.e[i] = saved - h;
        const double down = probe.forward(f.model, f.e, f.labels);
        f.e[i] = saved;
        worst = std::max(worst, relative_error((up - down) / (2 * h), grad_e[i]));
    }
    INFO("focus " << focus << ": worst relative error of dL/de " << worst);
    CHECK(worst <= tolerance);
    // The bias: dL/db by central differences.
    float& b = f.model.head().bias()[0];
    const float saved_b = b;
    AllPairsBce probe(focus);
    b = saved_b + h;
    const double up = probe.forward(f.model, f.e, f.labels);
    b = saved_b - h;
    const double down = probe.forward(f.model, f.e, f.labels);
    b = saved_b;
    CHECK(relative_error((up - down) / (2 * h), grad_b) <= tolerance);
}

}  // namespace

TEST_CASE("AllPairsBce: gradients match central differences (uniform pair weights)") { check_gradients(0); }
