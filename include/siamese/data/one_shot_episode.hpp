// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>

#include <cstdint>
#include <vector>

namespace siamese::data {

/// One N-way one-shot classification trial over an image set: every query is compared with
/// every support image and assigned to the most similar one. Indices point into the image set
/// the episode was made for (an Omniglot set, or a one-shot run's own images).
struct OneShotEpisode {
    std::vector<index_t> supports;  ///< [N] one image per candidate class
    std::vector<index_t> queries;   ///< [Q] the images to classify
    std::vector<index_t> answers;   ///< [Q] for each query, the position in supports of its class
    std::int64_t group = -1;        ///< the alphabet (or other group) the episode was drawn from; -1: none
};

}  // namespace siamese::data
