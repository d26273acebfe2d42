// SPDX-License-Identifier: MIT
#include <siamese/siamese.hpp>

// Defined in second.cpp, which also includes every public header.
double second_unit_loss();

int main() {
    siamese::Rng rng(3);
    siamese::Linear<double> layer(4, 2, rng);
    siamese::Tensor<double> x(siamese::Shape{1, 4}, 1.0);
    const double here = layer.forward(x)[0];
    const double there = second_unit_loss();
    // Both units must agree on everything they share: same seed, same layer, same numbers.
    return (here == there) ? 0 : 1;
}
