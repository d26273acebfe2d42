// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <algorithm>
#include <tuple>
#include <vector>

using namespace siamese;

namespace {

using TinyBackbone = Sequential<Conv2d<double>, ReLU<double>, MaxPool2d<double>, Flatten<double>, Linear<double>>;

TinyBackbone make_tiny(Rng& rng) {
    Conv2d<double> conv(1, 3, 3, rng, {.stride = 1, .padding = 1});
    Linear<double> fc(3 * 3 * 3, 5, rng);
    return TinyBackbone(std::move(conv), ReLU<double>(), MaxPool2d<double>(2), Flatten<double>(), std::move(fc));
}

/// The loss of the model on one batch, from scratch: what finite differences differentiate.
template <class Model>
double loss_of(Model& model, BceWithLogits<double>& loss, const Tensor<double>& l, const Tensor<double>& r,
               const std::vector<double>& t) {
    return loss.forward(model.logits(l, r), t);
}

template <class Model>
testing::GradientCheckResult check_model(Model& model, const Tensor<double>& l, const Tensor<double>& r,
                                         const std::vector<double>& t, const testing::GradientCheckOptions& options) {
    BceWithLogits<double> loss;
    const auto params = model.params();
    zero_grad(params);
    loss_of(model, loss, l, r, t);
    model.backward(loss.backward());
    return testing::check_param_gradients([&] { return loss_of(model, loss, l, r, t); }, params, options);
}

}  // namespace

TEST_CASE("Siamese + BCE: every parameter gradient matches finite differences (both branches summed)") {
    Rng rng(101);
    Siamese model(make_tiny(rng), Shape{1, 7, 6}, rng);
    const auto l = test::random_tensor(Shape{4, 1, 7, 6}, rng);
    const auto r = test::random_tensor(Shape{4, 1, 7, 6}, rng);
    test::require_gradients_ok(check_model(model, l, r, {0, 1, 0, 1}, {}));
}

TEST_CASE("Siamese + BCE on the tutorial network: sampled parameter gradients match finite differences") {
    Rng rng(102);
    Siamese model(make_seed_cnn<double>(rng), Shape{1, 28, 28}, rng);
    const auto l = test::random_tensor(Shape{2, 1, 28, 28}, rng, 0, 1);
    const auto r = test::random_tensor(Shape{2, 1, 28, 28}, rng, 0, 1);
    test::require_gradients_ok(check_model(model, l, r, {0, 1}, {.max_checks_per_tensor = 40}));
}

TEST_CASE("Siamese: shared weights make the score symmetric and stacking equivalent") {
    Rng rng(103);
    Siamese model(make_tiny(rng), Shape{1, 7, 6}, rng);
    const auto l = test::random_tensor(Shape{3, 1, 7, 6}, rng);
    const auto r = test::random_tensor(Shape{3, 1, 7, 6}, rng);
    const Tensor<double> lr = model.logits(l, r);
    const Tensor<double> rl = model.logits(r, l);
    for (index_t i = 0; i < 3; ++i) CHECK(lr[i] == doctest::Approx(rl[i]).epsilon(1e-14));

    Tensor<double> stacked(Shape{6, 1, 7, 6});
    std::copy_n(l.data(), l.size(), stacked.data());
    std::copy_n(r.data(), r.size(), stacked.data() + l.size());
    const Tensor<double> s = model.logits_stacked(stacked);
    for (index_t i = 0; i < 3; ++i) CHECK(s[i] == lr[i]);

    // Scoring precomputed embeddings gives the same logits.
    const Tensor<double> el = model.embed(l);
    const Tensor<double> er = model.embed(r);
    const Tensor<double> e = model.logits_from_embeddings(el, er);
    for (index_t i = 0; i < 3; ++i) CHECK(e[i] == doctest::Approx(lr[i]).epsilon(1e-14));

    const auto& p = model.predict(l, r);
    for (index_t i = 0; i < 3; ++i) CHECK(p[i] == doctest::Approx(1 / (1 + std::exp(-lr[i]))));
    CHECK(model.params().back().name == "head.bias");
    CHECK(model.params().front().name == "backbone.0.weight");
}

TEST_CASE("make_seed_cnn: the tutorial's network for other image sides; too small is a shape_error") {
    // 28 is the tutorial's Linear(1600, 120), drawn exactly as before the side was a parameter.
    Rng a(5), b(5);
    auto tutorial = make_seed_cnn<float>(a);
    auto same = make_seed_cnn<float>(b, 28);
    const auto pa = tutorial.params(), pb = same.params();
    REQUIRE(pa.size() == pb.size());
    CHECK(pa[4].value->shape() == Shape{120, 1600});
    for (std::size_t k = 0; k < pa.size(); ++k)
        CHECK(std::equal(pa[k].value->begin(), pa[k].value->end(), pb[k].value->begin()));

    for (const index_t side : {10, 16, 29, 64}) {
        CAPTURE(side);
        Rng rng(1);
        Siamese model(make_seed_cnn<float>(rng, side), Shape{1, side, side}, rng);
        const auto images = test::random_tensor<float>(Shape{4, 1, side, side}, rng, 0, 255);
        CHECK(model.embed(images).shape() == Shape{4, seed_cnn_embedding_dim});
        const index_t s = seed_cnn_feature_side(side);
        CHECK(model.backbone().params()[4].value->shape() == Shape{120, 64 * s * s});
        // A const model shows its parts too (to describe a model passed by const reference).
        const auto& shown = model;
        CHECK(shown.backbone().output_shape(Shape{2, 1, side, side}) == Shape{2, seed_cnn_embedding_dim});
        CHECK(shown.head().output_shape(Shape{2, seed_cnn_embedding_dim}) == Shape{2, 1});
        CHECK(&shown.head() == &model.head());
    }
    Rng rng(1);
    CHECK_THROWS_WITH_AS((void)make_seed_cnn<float>(rng, 9),
                         "make_seed_cnn: images of side 9 are too small for two conv(3) + pool(2) blocks (at least 10)",
                         shape_error);
}

TEST_CASE("Siamese: wrong shapes and misuse are clear errors") {
    Rng rng(104);
    Siamese model(make_seed_cnn<float>(rng), Shape{1, 28, 28}, rng);
    CHECK(model.embedding_dim() == 84);
    Tensor<float> a(Shape{2, 1, 28, 28}), b(Shape{3, 1, 28, 28}), c(Shape{2, 1, 32, 32});
    test::require_shape_error([&] { model.logits(a, b); }, {"Siamese", "[2, 1, 28, 28]", "[3, 1, 28, 28]"});
    test::require_shape_error([&] { model.logits(a, c); }, {"Siamese", "[N, 1, 28, 28]", "[2, 1, 32, 32]"});
    Tensor<float> odd(Shape{3, 1, 28, 28});
    test::require_shape_error([&] { model.logits_stacked(odd); }, {"even", "[3, 1, 28, 28]"});
    Siamese fresh(make_seed_cnn<float>(rng), Shape{1, 28, 28}, rng);
    CHECK_THROWS_AS(fresh.backward(Tensor<float>(Shape{2, 1})), std::logic_error);
    // The logits' gradient as [B] (the loss's shape in some libraries): the message named the head's Linear.
    model.logits(a, a);
    test::require_shape_error([&] { model.backward(Tensor<float>(Shape{2})); },
                              {"Siamese: expected logit gradients [2, 1] like the last logits(), got [2]"});
    test::require_shape_error(
        [&] {
            Siamese bad(make_seed_cnn<float>(rng), Shape{1, 32, 32}, rng);
        },
        {"Siamese: the backbone does not take images of image_shape [1, 32, 32]: Sequential layer 3 of 6, for input "
         "[1, 1, 32, 32]: Linear(1600, 120)",
         "[1, 2304]"});

    // Each of an image's dimensions is checked at the model's boundary, not left to a layer inside
    // (whose message names neither the model nor what it expects), and an empty batch is refused.
    for (const Shape& wrong : {Shape{2, 3, 28, 28}, Shape{2, 1, 28, 27}, Shape{0, 1, 28, 28}}) {
        CAPTURE(wrong.str());
        test::require_shape_error([&] { (void)model.embed(Tensor<float>(wrong)); },
                                  {"Siamese: expected images [N, 1, 28, 28], got " + wrong.str()});
    }
    // Scoring stored embeddings leaves no backbone pass to backpropagate into.
    model.logits(a, a);
    const Tensor<float> embeddings(Shape{2, 84}, 0.5f);
    (void)model.logits_from_embeddings(embeddings, embeddings);
    CHECK_THROWS_WITH_AS(model.backward(Tensor<float>(Shape{2, 1}, 1.0f)),
                         "Siamese: backward needs a preceding logits()/predict() on images", std::logic_error);
    // A backbone that ends in feature maps is not an embedding.
    Rng conv_rng(5);
    test::require_shape_error(
        [&] {
            Siamese maps(Sequential<Conv2d<float>>(Conv2d<float>(1, 2, 3, conv_rng)), Shape{1, 8, 8}, conv_rng);
        },
        {"Siamese: the backbone must output embeddings [N, D], but maps [1, 1, 8, 8] to [1, 2, 6, 6]"});
}

TEST_CASE("Siamese: image_shape other than [C, H, W] is a shape_error naming it") {
    Rng rng(106);
    // [28, 28] (the MNIST image without its channel) is the likely slip.
    for (const Shape& wrong : {Shape{28, 28}, Shape{1, 1, 28, 28}}) {
        CAPTURE(wrong.str());
        test::require_shape_error([&] { Siamese model(make_seed_cnn<float>(rng), wrong, rng); },
                                  {"Siamese: image_shape must be [C, H, W], got " + wrong.str()});
    }
}

TEST_CASE("Siamese: logits_from_embeddings refuses embeddings not [B, D] on both sides") {
    Rng rng(107);
    Siamese model(make_tiny(rng), Shape{1, 7, 6}, rng);
    REQUIRE(model.embedding_dim() == 5);
    const Tensor<double> good(Shape{2, 5}, 0.5);
    // Each side on its own: the right side of another batch size, or embeddings of another width.
    for (const Shape& wrong : {Shape{3, 5}, Shape{2, 4}, Shape{10}, Shape{2, 5, 1}}) {
        CAPTURE(wrong.str());
        const Tensor<double> bad(wrong, 0.5);
        test::require_shape_error([&] { (void)model.logits_from_embeddings(good, bad); },
                                  {"Siamese: expected embeddings [B, 5], got [2, 5] and " + wrong.str()});
        test::require_shape_error([&] { (void)model.logits_from_embeddings(bad, good); },
                                  {"Siamese: expected embeddings [B, 5], got " + wrong.str() + " and [2, 5]"});
    }
    CHECK(model.logits_from_embeddings(good, good).shape() == Shape{2, 1});
}

TEST_CASE("Siamese: an embedding component equal on both sides passes no gradient (|x|'s subgradient 0, as PyTorch)") {
    // Backbone Flatten -> Linear(2, 2) with rows (1, 1) and (1, -1): the images (1, 0) and (0, 1)
    // embed to (1, 1) and (1, -1), equal in component 0.
    Rng rng(6);
    Sequential<Flatten<double>, Linear<double>> backbone(Flatten<double>(), Linear<double>(2, 2, rng));
    Siamese model(std::move(backbone), Shape{1, 1, 2}, rng);
    auto params = model.params();
    REQUIRE(params[0].name == "backbone.1.weight");
    auto& weight = *params[0].value;
    weight[0] = 1, weight[1] = 1, weight[2] = 1, weight[3] = -1;
    std::fill(params[1].value->begin(), params[1].value->end(), 0.0);
    Tensor<double> left(Shape{1, 1, 1, 2}), right(Shape{1, 1, 1, 2});
    left[0] = 1, right[1] = 1;
    zero_grad(params);
    (void)model.logits(left, right);
    model.backward(Tensor<double>(Shape{1, 1}, 1.0));
    const auto& grad = *params[0].grad;
    // Row 0 (the equal component) gets nothing; row 1 gets w_head[1] * sign(2) * (left - right).
    CHECK(grad[0] == 0.0);
    CHECK(grad[1] == 0.0);
    const double head_w1 = (*params[2].value)[1];
    CHECK(grad[2] == doctest::Approx(head_w1));
    CHECK(grad[3] == doctest::Approx(-head_w1));
}

TEST_CASE("Siamese learns a synthetic same/different task: loss falls, pair accuracy rises") {
    // Four classes, each a fixed random 8x8 pattern plus noise; pairs balanced as in the tutorial.
    Rng rng(105);
    const index_t classes = 4, side = 8, batch = 16;
    std::vector<Tensor<float>> prototypes;
    for (index_t c = 0; c < classes; ++c)
        prototypes.push_back(test::random_tensor<float>(Shape{side * side}, rng, 0, 1));
    auto draw = [&](index_t c, float* out) {
        for (index_t i = 0; i < side * side; ++i)
            out[i] = prototypes[static_cast<std::size_t>(c)][i] + static_cast<float>(rng.uniform(-0.2, 0.2));
    };

    Conv2d<float> conv(1, 4, 3, rng);
    Linear<float> fc(4 * 3 * 3, 8, rng);
    using Net = Sequential<Conv2d<float>, ReLU<float>, MaxPool2d<float>, Flatten<float>, Linear<float>>;
    Siamese model(Net(std::move(conv), ReLU<float>(), MaxPool2d<float>(2), Flatten<float>(), std::move(fc)),
                  Shape{1, side, side}, rng);
    Sgd<float> sgd(model.params(), {.lr = 0.05, .momentum = 0.9});
    BceWithLogits<float> loss;
    Tensor<float> left(Shape{batch, 1, side, side}), right(Shape{batch, 1, side, side});
    std::vector<float> same(static_cast<std::size_t>(batch));

    auto run = [&](int steps, bool train) {
        double loss_sum = 0;
        index_t correct = 0;
        for (int s = 0; s < steps; ++s) {
            for (index_t i = 0; i < batch; ++i) {
                const index_t c = rng.uniform_int(classes);
                const bool is_same = i >= batch / 2;
                const index_t c2 = is_same ? c : (c + 1 + rng.uniform_int(classes - 1)) % classes;
                draw(c, left.data() + i * side * side);
                draw(c2, right.data() + i * side * side);
                same[static_cast<std::size_t>(i)] = is_same ? 1.0f : 0.0f;
            }
            if (train) sgd.zero_grad();
            const auto& z = model.logits(left, right);
            for (index_t i = 0; i < batch; ++i) correct += ((z[i] > 0) == (same[static_cast<std::size_t>(i)] > 0.5f));
            loss_sum += loss.forward(z, same);
            if (train) {
                model.backward(loss.backward());
                sgd.step();
            }
        }
        return std::pair{loss_sum / steps, static_cast<double>(correct) / static_cast<double>(steps * batch)};
    };

    // Plain variables, not structured bindings: INFO's lambda cannot capture those before clang 16.
    double loss_before = 0, acc_before = 0, loss_after = 0, acc_after = 0;
    std::tie(loss_before, acc_before) = run(20, false);
    run(300, true);
    std::tie(loss_after, acc_after) = run(20, false);
    INFO("loss " << loss_before << " -> " << loss_after << ", accuracy " << acc_before << " -> " << acc_after);
    CHECK(loss_after < 0.5 * loss_before);
    CHECK(acc_after >= 0.9);
    CHECK(acc_after > acc_before + 0.2);
}
