// SPDX-License-Identifier: MIT
// What a call leaves behind when it fails part-way: every tensor allocation of the call, in turn,
// is made to throw std::bad_alloc (failing_allocation.hpp).
// - A layer, model, loss or distance caches several tensors for backward; if a failed forward
//   left the flag "a forward ran" from the pass before, backward mixed the caches of two passes
//   (reading past the end of the smaller ones, or adding the old batch's gradients). It must
//   throw instead, and a new forward mend it.
// - A sampler that fails must not have used up draws: the stream of batches stays the seed's.
#include "failing_allocation.hpp"
#include "test_util.hpp"

#include <cstdint>
#include <new>
#include <stdexcept>
#include <vector>

using namespace siamese;

namespace {

/// True when every parameter gradient is zero.
template <class T>
bool gradients_are_zero(const ParamList<T>& params) {
    for (const auto& p : params) {
        for (const T g : *p.grad) {
            if (g != T(0)) return false;
        }
    }
    return true;
}

/// Runs `pass(big)` with its k-th tensor allocation failing, for k = 0, 1, ... until the pass no
/// longer allocates that many; after each failure, `after_failure()` must hold. Returns the number
/// of failure points tried (the pass's allocations), so that a test can see there were some.
template <class Fresh, class Pass, class AfterFailure>
long at_every_allocation(Fresh fresh, Pass pass, AfterFailure after_failure) {
    for (long k = 0;; ++k) {
        auto subject = fresh();
        bool failed = false;
        {
            const test_allocations::FailAfter fail(k);
            try {
                pass(subject);
            } catch (const std::bad_alloc&) {
                failed = true;
            }
        }
        if (!failed) return k;
        CAPTURE(k);
        after_failure(subject);
    }
}

/// For a layer: a forward on `small`, then one on `big` that fails at each of its allocations.
/// Backward must then refuse both outputs' gradients and add nothing, and a new forward mend it.
template <class Layer>
void check_layer(Layer prototype, const Tensor<float>& small, const Tensor<float>& big) {
    const Shape small_out = prototype.output_shape(small.shape());
    const Shape big_out = prototype.output_shape(big.shape());
    const long points = at_every_allocation(
        [&] {
            Layer layer = prototype;
            (void)layer.forward(small);
            return layer;
        },
        [&](Layer& layer) { (void)layer.forward(big); },
        [&](Layer& layer) {
            const auto params = layer.params();
            zero_grad(params);
            CHECK_THROWS_AS((void)layer.backward(Tensor<float>(small_out, 1.0f)), std::logic_error);
            CHECK_THROWS_AS((void)layer.backward(Tensor<float>(big_out, 1.0f)), std::logic_error);
            CHECK(gradients_are_zero(params));
            (void)layer.forward(big);
            CHECK_NOTHROW((void)layer.backward(Tensor<float>(big_out, 1.0f)));
        });
    CHECK(points >= 1);
}

}  // namespace

TEST_CASE("Layers: a forward that fails part-way leaves no pass for backward") {
    Rng rng(3);
    check_layer(Linear<float>(50, 3, rng), test::random_tensor<float>(Shape{2, 50}, rng),
                test::random_tensor<float>(Shape{40, 50}, rng));
    check_layer(Conv2d<float>(2, 4, 3, rng), test::random_tensor<float>(Shape{1, 2, 5, 5}, rng),
                test::random_tensor<float>(Shape{3, 2, 12, 12}, rng));
    check_layer(ConvReluPool<float>(2, 4, 3, rng), test::random_tensor<float>(Shape{1, 2, 6, 6}, rng),
                test::random_tensor<float>(Shape{3, 2, 14, 14}, rng));
    check_layer(MaxPool2d<float>(2), test::random_tensor<float>(Shape{1, 2, 4, 4}, rng),
                test::random_tensor<float>(Shape{3, 2, 10, 10}, rng));
    check_layer(ReLU<float>(), test::random_tensor<float>(Shape{2, 3}, rng),
                test::random_tensor<float>(Shape{20, 30}, rng));
    check_layer(Flatten<float>(), test::random_tensor<float>(Shape{2, 3, 2}, rng),
                test::random_tensor<float>(Shape{20, 3, 2}, rng));
}

TEST_CASE("Sequential: a forward that fails part-way leaves no pass, even in the layers it did not reach") {
    // The layers after the failing one still held the last pass: backward ran them on it and added
    // their gradients before the failing layer threw.
    Rng rng(4);
    const auto prototype = make_seed_cnn<float>(rng);
    const auto small = test::random_tensor<float>(Shape{2, 1, 28, 28}, rng, 0, 255);
    const auto big = test::random_tensor<float>(Shape{6, 1, 28, 28}, rng, 0, 255);
    const long points = at_every_allocation(
        [&] {
            auto net = prototype;
            (void)net.forward(small);
            return net;
        },
        [&](SeedCnn<float>& net) { (void)net.forward(big); },
        [&](SeedCnn<float>& net) {
            const auto params = net.params();
            zero_grad(params);
            CHECK_THROWS_WITH_AS((void)net.backward(Tensor<float>(Shape{2, 84}, 1.0f)),
                                 doctest::Contains("backward called before forward, or after a forward that threw"),
                                 std::logic_error);
            CHECK_THROWS_AS((void)net.backward(Tensor<float>(Shape{6, 84}, 1.0f)), std::logic_error);
            CHECK(gradients_are_zero(params));
        });
    CHECK(points >= 6);
}

TEST_CASE("Sequential: an input that a later layer refuses changes no layer") {
    // Conv1 accepted the 8 x 8 images and overwrote its output, which conv2 (borrowing it) needs
    // for its backward; conv2 then refused the shape. Backward of the good pass added gradients
    // computed from the overwritten buffer before it threw.
    Rng rng(5);
    auto net = make_seed_cnn<float>(rng);
    const auto x = test::random_tensor<float>(Shape{2, 1, 28, 28}, rng, 0, 255);
    const Tensor<float> grad(Shape{2, 84}, 1.0f);
    auto reference = net;
    (void)reference.forward(x);
    reference.backward(grad);

    (void)net.forward(x);
    test::require_shape_error([&] { (void)net.forward(Tensor<float>(Shape{2, 1, 8, 8})); }, {"got [2, 3, 3, 32]"});
    net.backward(grad);
    const auto got = net.params(), want = reference.params();
    for (std::size_t i = 0; i < got.size(); ++i) {
        CAPTURE(got[i].name);
        CHECK(std::equal(got[i].grad->begin(), got[i].grad->end(), want[i].grad->begin()));
    }
}

TEST_CASE("Siamese: logits or embed that fail part-way leave nothing to backpropagate") {
    Rng rng(6);
    const Siamese prototype(make_seed_cnn<float>(rng), Shape{1, 28, 28}, rng);
    const auto small = test::random_tensor<float>(Shape{4, 1, 28, 28}, rng, 0, 255);
    const auto big = test::random_tensor<float>(Shape{8, 1, 28, 28}, rng, 0, 255);
    using Model = Siamese<SeedCnn<float>>;
    // Fails each allocation of `forward` on `big` in turn, after a good pass on `small`: the
    // backward of neither batch may run (its gradient shapes: `small_grad`, `big_grad`).
    const auto failure_points = [&](auto forward, auto backward, const Shape& small_grad, const Shape& big_grad) {
        return at_every_allocation(
            [&] {
                auto model = prototype;
                forward(model, small);
                return model;
            },
            [&](Model& model) { forward(model, big); },
            [&](Model& model) {
                const auto params = model.params();
                zero_grad(params);
                CHECK_THROWS_AS(backward(model, Tensor<float>(small_grad, 1.0f)), std::logic_error);
                CHECK_THROWS_AS(backward(model, Tensor<float>(big_grad, 1.0f)), std::logic_error);
                CHECK(gradients_are_zero(params));
            });
    };
    CHECK(failure_points([](Model& m, const Tensor<float>& x) { (void)m.logits_stacked(x); },
                         [](Model& m, const Tensor<float>& g) { (void)m.backward(g); }, Shape{2, 1}, Shape{4, 1}) >= 6);
    CHECK(failure_points([](Model& m, const Tensor<float>& x) { (void)m.embed(x); },
                         [](Model& m, const Tensor<float>& g) { (void)m.backward_embeddings(g); }, Shape{4, 84},
                         Shape{8, 84}) >= 6);
}

TEST_CASE("Losses and distances: a forward that fails part-way leaves nothing for backward") {
    Rng rng(7);
    const auto small = test::random_tensor<float>(Shape{4, 3}, rng);
    const auto big = test::random_tensor<float>(Shape{40, 3}, rng);
    const std::vector<std::int64_t> small_labels{0, 0, 1, 1}, big_labels(40, 2);
    // The triplet loss resized its distance matrix after copying the embeddings: backward read
    // 40 x 40 entries from the 4 x 4 matrix.
    CHECK(at_every_allocation(
              [&] {
                  TripletMarginLoss<float> loss;
                  (void)loss.forward(small, small_labels);
                  return loss;
              },
              [&](TripletMarginLoss<float>& loss) { (void)loss.forward(big, big_labels); },
              [&](TripletMarginLoss<float>& loss) { CHECK_THROWS_AS((void)loss.backward(), std::logic_error); }) >= 2);
    const std::vector<float> small_pairs{0, 1}, big_pairs(20, 1.0f);
    CHECK(at_every_allocation(
              [&] {
                  ContrastiveLoss<float> loss;
                  (void)loss.forward_stacked(small, small_pairs);
                  return loss;
              },
              [&](ContrastiveLoss<float>& loss) { (void)loss.forward_stacked(big, big_pairs); },
              [&](ContrastiveLoss<float>& loss) { CHECK_THROWS_AS((void)loss.backward(), std::logic_error); }) >= 2);
    const auto distance_check = [&](auto prototype) {
        using Distance = decltype(prototype);
        return at_every_allocation(
            [&] {
                Distance distance = prototype;
                (void)distance.forward_stacked(small);
                return distance;
            },
            [&](Distance& distance) { (void)distance.forward_stacked(big); },
            [&](Distance& distance) {
                CHECK_THROWS_AS((void)distance.backward(Tensor<float>(Shape{2}, 1.0f)), std::logic_error);
                CHECK_THROWS_AS((void)distance.backward(Tensor<float>(Shape{20}, 1.0f)), std::logic_error);
            });
    };
    CHECK(distance_check(metrics::EuclideanDistance<float>()) >= 2);
    CHECK(distance_check(metrics::CosineDistance<float>()) >= 2);
}

namespace {

/// A sampler's batch of `size` after a failed one of `big` is the batch a fresh sampler draws.
template <class Sampler, class Draw>
void check_sampler(const Sampler& prototype, Draw draw) {
    Sampler fresh = prototype;
    const auto expected = draw(fresh, false);
    const long points = at_every_allocation([&] { return prototype; }, [&](Sampler& s) { (void)draw(s, true); },
                                            [&](Sampler& s) { CHECK(draw(s, false) == expected); });
    CHECK(points >= 1);
}

}  // namespace

TEST_CASE("Samplers: a batch that fails to allocate uses up no draws") {
    const auto images = test::traceable_images({0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3}, Shape{1, 2, 2});
    check_sampler(data::PairSampler(images, 5), [](data::PairSampler& s, bool big) {
        data::PairBatch<float> batch;
        s.sample(big ? 400 : 6, batch);
        return batch.left;
    });
    check_sampler(data::PairSampler(images, 6), [](data::PairSampler& s, bool big) {
        Tensor<float> left, right, labels;
        std::vector<index_t> left_index, right_index;
        s.sample(big ? 400 : 6, left, right, labels, left_index, right_index);
        return right_index;
    });
    check_sampler(data::TripletSampler(images, 7), [](data::TripletSampler& s, bool big) {
        data::TripletBatch<float> batch;
        s.sample(big ? 400 : 6, batch);
        return batch.negative;
    });
    check_sampler(data::PkSampler(images, {.p = 2, .k = 3}, 8), [](data::PkSampler& s, bool) {
        data::PkBatch<float> batch;
        s.sample(batch);
        return batch.indices;
    });
}
