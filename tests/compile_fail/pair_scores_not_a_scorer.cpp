// SPDX-License-Identifier: MIT
// A scorer without the score(query, candidates, out) interface must be rejected at the call,
// naming the concept, not deep inside the evaluation.
// expect: PairScorer
#include <siamese/siamese.hpp>

int main() {
    const siamese::data::LabelledImages images(siamese::Shape{1, 1, 1}, {0, 1, 2, 3}, {0, 0, 1, 1});
    siamese::data::PairSampler sampler(images, 0);
    const auto scores = siamese::eval::pair_scores(sampler, 1, 2, [](int query) { return query; });
    return static_cast<int>(scores.pairs);
}
