// SPDX-License-Identifier: MIT
// A Backbone without forward/backward must be rejected with one readable error.
// expect: Backbone must satisfy the siamese::Layer concept
#include <siamese/siamese.hpp>

struct NotABackbone {
    using value_type = float;
    int forward(int x) { return x; }
};

int main() {
    siamese::Rng rng(0);
    siamese::Siamese<NotABackbone> model(NotABackbone{}, siamese::Shape{1, 28, 28}, rng);
    return static_cast<int>(model.embedding_dim());
}
