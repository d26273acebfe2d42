// SPDX-License-Identifier: MIT
// A user's program: the tutorial network, one training step on random pairs.
#include <siamese/siamese.hpp>

#include <cstdio>
#include <vector>

int main() {
    siamese::Rng rng(7);
    siamese::Siamese model(siamese::make_seed_cnn<float>(rng), siamese::Shape{1, 28, 28}, rng);
    siamese::Sgd<float> optimizer(model.params(), {.lr = 0.001, .momentum = 0.1});
    siamese::BceWithLogits<float> loss;

    siamese::Tensor<float> left(siamese::Shape{4, 1, 28, 28}), right(siamese::Shape{4, 1, 28, 28});
    for (auto& v : left) v = static_cast<float>(rng.uniform(0, 255));
    for (auto& v : right) v = static_cast<float>(rng.uniform(0, 255));
    const std::vector<float> same{0, 0, 1, 1};

    optimizer.zero_grad();
    const float value = loss.forward(model.logits(left, right), same);
    model.backward(loss.backward());
    optimizer.step();
    std::printf("consumer: siamese %s, loss %.4f\n", siamese::version_string, value);
    return value > 0 ? 0 : 1;
}
