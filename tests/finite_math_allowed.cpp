// SPDX-License-Identifier: MIT
// Built with -ffast-math and SIAMESE_ALLOW_FINITE_MATH: the library's refusal of
// -ffinite-math-only gives way to the user's explicit choice, and a training step still runs.
#include <siamese/siamese.hpp>

#include <cstdio>

int main() {
    siamese::Rng rng(3);
    siamese::Siamese model(siamese::make_seed_cnn<float>(rng), siamese::Shape{1, 28, 28}, rng);
    siamese::Sgd<float> optimizer(model.params(), {.lr = 0.001, .momentum = 0.1});
    siamese::BceWithLogits<float> loss;
    siamese::Tensor<float> left(siamese::Shape{2, 1, 28, 28}, 1.0F), right(siamese::Shape{2, 1, 28, 28}, 200.0F);
    const float same[] = {0, 1};
    optimizer.zero_grad();
    const float value = loss.forward(model.logits(left, right), same);
    model.backward(loss.backward());
    optimizer.step();
    std::printf("finite_math_allowed: loss %.4f\n", static_cast<double>(value));
    return value > 0 ? 0 : 1;
}
