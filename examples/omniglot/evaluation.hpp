// SPDX-License-Identifier: MIT
#pragma once

// One-shot episodes scored by a model, an ensemble or a baseline.

#include "network.hpp"
#include "settings.hpp"

#include <siamese/data/augment.hpp>
#include <siamese/data/labelled_images.hpp>
#include <siamese/data/omniglot.hpp>
#include <siamese/data/one_shot_episode.hpp>
#include <siamese/errors.hpp>
#include <siamese/eval/confidence.hpp>
#include <siamese/eval/embed.hpp>
#include <siamese/eval/embedding_scorer.hpp>
#include <siamese/eval/episode_accuracy.hpp>
#include <siamese/eval/episodes.hpp>
#include <siamese/eval/hausdorff.hpp>
#include <siamese/eval/pixel_baseline.hpp>
#include <siamese/training/numeric_guard.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace omniglot {

/// The outcome of a set of one-shot episodes.
using EpisodeResult = siamese::eval::EpisodeAccuracy;

/// Each image's embedding averaged over `views` looks at it: as it is, then views - 1 times
/// distorted as in training (a fixed seed, so every model sees the same views). views = 1 is
/// embed_all.
inline siamese::Tensor<T> embed_views(Model& model, const siamese::data::LabelledImages& images, int views,
                                      const siamese::data::KochAugmentOptions& distortion) {
    constexpr index_t chunk = 256;
    auto mean = siamese::eval::embed_all(model, images, chunk);
    if (views <= 1) return mean;
    siamese::data::Augmenter augmenter(distortion, test_seed());
    for (int v = 1; v < views; ++v) {
        const auto view = siamese::eval::embed_all(model, images, chunk,
                                                   [&](siamese::Tensor<T>& batch) { augmenter.augment_all(batch); });
        for (index_t k = 0; k < mean.size(); ++k) mean[k] += view[k];
    }
    for (auto& x : mean) x /= static_cast<T>(views);
    return mean;
}

/// The scores a scorer gave the (query, support) pairs of some episodes, kept to be read again:
/// the model's and the Hausdorff baseline's are computed once, then fused with several weights
/// (fused_accuracy) without scoring a pair twice. As a scorer it reads them back, and throws
/// std::out_of_range for a pair that was not scored.
class EpisodeScores {
public:
    template <siamese::eval::PairScorer Score>
    EpisodeScores(const std::vector<siamese::data::OneShotEpisode>& episodes, Score&& score) {
        std::vector<double> out;
        for (const auto& e : episodes) {
            out.resize(e.supports.size());
            for (const index_t q : e.queries) {
                score(q, std::span<const index_t>(e.supports), std::span<double>(out));
                for (std::size_t k = 0; k < out.size(); ++k) scores_[key(q, e.supports[k])] = out[k];
            }
        }
    }

    void operator()(index_t query, std::span<const index_t> candidates, std::span<double> out) const {
        for (std::size_t k = 0; k < candidates.size(); ++k) out[k] = at(query, candidates[k]);
    }

    [[nodiscard]] double at(index_t query, index_t candidate) const {
        const auto found = scores_.find(key(query, candidate));
        if (found == scores_.end()) {
            throw std::out_of_range("EpisodeScores: no score for images " + std::to_string(query) + " and " +
                                    std::to_string(candidate) + " (not a query and a support of the episodes)");
        }
        return found->second;
    }

private:
    static std::uint64_t key(index_t query, index_t candidate) {
        // Image indices are below 2^31 (index_t is signed 64-bit, but no image set comes near).
        return static_cast<std::uint64_t>(query) << 32 | static_cast<std::uint32_t>(candidate);
    }

    std::unordered_map<std::uint64_t, double> scores_;
};

/// The scores of several models scoring as one (an ensemble) on the episodes: a pair's score is
/// the mean of the models' logits, each from embeddings averaged over `views` (embed_views).
inline EpisodeScores ensemble_scores(std::span<Model> models, const siamese::data::LabelledImages& images,
                                     const std::vector<siamese::data::OneShotEpisode>& episodes, int views = 1,
                                     const siamese::data::KochAugmentOptions& distortion = {}) {
    if (models.empty()) throw std::invalid_argument("ensemble_accuracy: no models");
    std::vector<siamese::Tensor<T>> embeddings;
    embeddings.reserve(models.size());
    for (auto& m : models) embeddings.push_back(embed_views(m, images, views, distortion));
    // A diverged network scores NaN, and a NaN never wins the comparison: it would read as chance
    // accuracy instead of an error.
    auto refuse_non_finite = [&](std::size_t model, const std::string& what) {
        throw siamese::numeric_error("model " + std::to_string(model + 1) + " of " + std::to_string(models.size()) +
                                     ": " + what +
                                     " not finite: the network's weights overflow (it diverged in training; "
                                     "train it again with a smaller learning rate)");
    };
    for (std::size_t i = 0; i < models.size(); ++i) {
        if (!siamese::training::all_finite(embeddings[i])) refuse_non_finite(i, "its embeddings are");
    }
    std::vector<siamese::eval::EmbeddingScorer<Model>> scorers;
    for (std::size_t i = 0; i < models.size(); ++i) scorers.emplace_back(models[i], embeddings[i]);
    std::vector<double> one;
    auto mean_logit = [&](index_t query, std::span<const index_t> candidates, std::span<double> out) {
        std::fill(out.begin(), out.end(), 0.0);
        one.resize(out.size());
        for (std::size_t i = 0; i < scorers.size(); ++i) {
            scorers[i](query, candidates, std::span<double>(one));
            for (std::size_t k = 0; k < out.size(); ++k) {
                if (!std::isfinite(one[k])) refuse_non_finite(i, "a score (the head's logit) is");
                out[k] += one[k] / static_cast<double>(scorers.size());
            }
        }
    };
    return EpisodeScores(episodes, mean_logit);
}

/// The one-shot accuracy of several models scoring as one (ensemble_scores).
inline EpisodeResult ensemble_accuracy(std::span<Model> models, const siamese::data::LabelledImages& images,
                                       const std::vector<siamese::data::OneShotEpisode>& episodes, int views = 1,
                                       const siamese::data::KochAugmentOptions& distortion = {}) {
    return siamese::eval::episode_accuracy(episodes, ensemble_scores(models, images, episodes, views, distortion));
}

/// One model's one-shot accuracy, every image embedded once as drawn (training's validation).
inline EpisodeResult model_accuracy(Model& model, const siamese::data::LabelledImages& images,
                                    const std::vector<siamese::data::OneShotEpisode>& episodes) {
    return ensemble_accuracy(std::span<Model>(&model, 1), images, episodes);
}

/// A pixel at or above this is ink for the baselines: where centre_ink finds the centroid and
/// the modified-Hausdorff scorer its points.
inline constexpr std::uint8_t baseline_ink = 128;

/// The first image with no ink (no pixel at or above baseline_ink), if any: the
/// modified-Hausdorff baseline cannot score it.
inline std::optional<index_t> first_blank_image(const siamese::data::LabelledImages& images) {
    for (index_t i = 0; i < images.size(); ++i) {
        const auto pixels = images.image(i);
        if (std::none_of(pixels.begin(), pixels.end(), [](std::uint8_t p) { return p >= baseline_ink; })) return i;
    }
    return std::nullopt;
}

/// Refuses alphabets loaded as drawn (105 x 105, ink high) that hold a drawing with no ink,
/// naming its file: the baseline's own error named an image number, and came only once the
/// model had been evaluated, or a whole run trained.
inline void refuse_blank_drawings(const siamese::data::Omniglot& drawn, const std::filesystem::path& data) {
    if (const auto blank = first_blank_image(drawn.images)) {
        throw siamese::io_error((data / drawn.files[static_cast<std::size_t>(*blank)]).string() +
                                ": no ink (a blank drawing): the modified Hausdorff baseline has nothing to compare; "
                                "redraw it or remove it");
    }
}

/// The images with each one's ink centroid moved to the image centre (by whole pixels; ink
/// moved past an edge is dropped, paper comes in as 0). The modified-Hausdorff baseline compares
/// centred drawings, as Lake et al.'s baseline code does, so that where a drawer put the
/// character on the page does not count.
inline siamese::data::LabelledImages centre_ink(const siamese::data::LabelledImages& images) {
    const index_t h = images.image_shape()[1], w = images.image_shape()[2];
    std::vector<std::uint8_t> pixels(images.pixels().size(), 0);
    for (index_t i = 0; i < images.size(); ++i) {
        const auto src = images.image(i);
        double sx = 0, sy = 0, n = 0;
        for (index_t y = 0; y < h; ++y)
            for (index_t x = 0; x < w; ++x)
                if (src[static_cast<std::size_t>(y * w + x)] >= baseline_ink) {
                    sx += static_cast<double>(x);
                    sy += static_cast<double>(y);
                    ++n;
                }
        const auto dx = n > 0 ? static_cast<index_t>(std::lround(static_cast<double>(w - 1) / 2 - sx / n)) : 0;
        const auto dy = n > 0 ? static_cast<index_t>(std::lround(static_cast<double>(h - 1) / 2 - sy / n)) : 0;
        std::uint8_t* dst = pixels.data() + i * h * w;
        for (index_t y = 0; y < h; ++y)
            for (index_t x = 0; x < w; ++x) {
                const index_t ty = y + dy, tx = x + dx;
                if (ty >= 0 && tx >= 0 && ty < h && tx < w) dst[ty * w + tx] = src[static_cast<std::size_t>(y * w + x)];
            }
    }
    return siamese::data::LabelledImages(
        images.image_shape(), std::move(pixels),
        std::vector<siamese::data::label_t>(images.labels().begin(), images.labels().end()));
}

/// The modified Hausdorff distance between the centred ink of each query and its supports, as
/// scores (-MHD, in pixels of `images`: drawn images, ink high).
inline EpisodeScores hausdorff_scores(const siamese::data::LabelledImages& images,
                                      const std::vector<siamese::data::OneShotEpisode>& episodes) {
    return EpisodeScores(episodes,
                         siamese::eval::HausdorffScorer(centre_ink(images),
                                                        {.threshold = baseline_ink, .ink = siamese::eval::Ink::light}));
}

/// Raw-pixel nearest neighbour and modified Hausdorff distance (on centred ink) on the same
/// episodes, on images at their drawn resolution (ink high).
struct Baselines {
    EpisodeResult pixels, hausdorff;
};

inline Baselines baseline_accuracy(const siamese::data::LabelledImages& images,
                                   const std::vector<siamese::data::OneShotEpisode>& episodes,
                                   const EpisodeScores& hausdorff) {
    Baselines b;
    b.pixels = siamese::eval::episode_accuracy(episodes, siamese::eval::PixelScorer(images));
    b.hausdorff = siamese::eval::episode_accuracy(episodes, hausdorff);
    return b;
}

inline Baselines baseline_accuracy(const siamese::data::LabelledImages& images,
                                   const std::vector<siamese::data::OneShotEpisode>& episodes) {
    return baseline_accuracy(images, episodes, hausdorff_scores(images, episodes));
}

/// The model fused with the modified Hausdorff distance: a pair's score is the model's logit
/// minus `weight` times the distance (in pixels of the drawn 105 x 105 images): where the
/// network's logits for the candidates lie close together, the distance decides. A weight is
/// chosen on validation alphabets (docs/omniglot.md).
inline EpisodeResult fused_accuracy(const std::vector<siamese::data::OneShotEpisode>& episodes,
                                    const EpisodeScores& model, const EpisodeScores& hausdorff, double weight) {
    return siamese::eval::episode_accuracy(
        episodes, [&](index_t query, std::span<const index_t> candidates, std::span<double> out) {
            for (std::size_t k = 0; k < candidates.size(); ++k)
                out[k] = model.at(query, candidates[k]) + weight * hausdorff.at(query, candidates[k]);
        });
}

/// The fraction of queries `r` classified right in the episodes drawn from `group` (an
/// alphabet), every query weighing the same; none when no episode comes from that group.
inline std::optional<double> group_accuracy(const std::vector<siamese::data::OneShotEpisode>& episodes,
                                            const EpisodeResult& r, std::int64_t group) {
    double right = 0, count = 0;
    for (std::size_t k = 0; k < episodes.size(); ++k) {
        if (episodes[k].group != group) continue;
        for (std::size_t q = 0; q < episodes[k].queries.size(); ++q) right += r.chosen[k][q] == episodes[k].answers[q];
        count += static_cast<double>(episodes[k].queries.size());
    }
    if (count == 0) return std::nullopt;
    return right / count;
}

inline std::string format_accuracy(const EpisodeResult& r) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%5.1f %% +- %.1f", 100 * r.accuracy, 100 * r.ci95);
    return buf;
}

}  // namespace omniglot
