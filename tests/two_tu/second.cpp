// SPDX-License-Identifier: MIT
#include <siamese/siamese.hpp>

double second_unit_loss() {
    siamese::Rng rng(3);
    siamese::Linear<double> layer(4, 2, rng);
    siamese::Tensor<double> x(siamese::Shape{1, 4}, 1.0);
    return layer.forward(x)[0];
}
