// SPDX-License-Identifier: MIT
// The example's all-pairs loss against central differences of its own forward: dL/de and dL/db.
// With focus = 0 the pair weights are constants and the loss an ordinary function of the
// embeddings, so the check is exact up to rounding. (With focus > 0 the softmax weights are held
// constant in the backward by design, so finite differences would not match; that path shares
// every line of the backward checked here; the weights themselves are checked at their two
// limits, a flat softmax and the most alike pair alone.)
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

TEST_CASE("AllPairsBce: focus weighs each image's most alike different pairs; far from 0 it is the uniform loss") {
    Fixture f;
    const index_t n = f.e.dim(0), d = f.e.dim(1);
    // The head's logits and the binary cross-entropy of each pair, computed here from their definitions.
    auto logit = [&](index_t i, index_t j) {
        double z = f.model.head().bias()[0];
        for (index_t k = 0; k < d; ++k) {
            z += static_cast<double>(f.model.head().weight()[k]) * std::abs(static_cast<double>(f.e(i, k)) - f.e(j, k));
        }
        return z;
    };
    auto bce = [](double z, double t) { return std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::abs(z))); };
    auto same = [&](index_t i, index_t j) {
        return f.labels[static_cast<std::size_t>(i)] == f.labels[static_cast<std::size_t>(j)];
    };
    double positives = 0, same_part = 0, uniform_part = 0, negatives = 0, hardest_part = 0;
    for (index_t i = 0; i < n; ++i) {
        double hardest = -1e300;
        for (index_t j = 0; j < n; ++j) {
            if (j == i) continue;
            if (!same(i, j)) hardest = std::max(hardest, logit(i, j));
            if (j < i) continue;
            (same(i, j) ? positives : negatives) += 1;
            (same(i, j) ? same_part : uniform_part) += bce(logit(i, j), same(i, j) ? 1 : 0);
        }
        hardest_part += bce(hardest, 0) / static_cast<double>(n);
    }
    const double uniform = 0.5 * same_part / positives + 0.5 * uniform_part / negatives;
    CHECK(AllPairsBce(0).forward(f.model, f.e, f.labels) == doctest::Approx(uniform).epsilon(1e-12));
    // A focus far above the logits' spread: the softmax is flat, each image's share spread evenly.
    CHECK(AllPairsBce(1e9).forward(f.model, f.e, f.labels) == doctest::Approx(uniform).epsilon(1e-6));
    // A focus far below it: each image's share goes to its most alike different pair alone.
    const double focused = 0.5 * same_part / positives + 0.5 * hardest_part;
    CHECK(AllPairsBce(1e-9).forward(f.model, f.e, f.labels) == doctest::Approx(focused).epsilon(1e-9));
    CHECK(focused != doctest::Approx(uniform).epsilon(1e-3));  // the two limits differ on this batch
}
