// SPDX-License-Identifier: MIT
#pragma once

// Pictures of one-shot episodes: the query, its candidates, the right one and the model's choice.

#include "../common/figures.hpp"
#include "evaluation.hpp"

#include <siamese/data/labelled_images.hpp>
#include <siamese/data/one_shot_episode.hpp>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

namespace omniglot {

namespace fs = std::filesystem;

/// A few episodes as rows: one query (framed white), a gap, then its candidates, drawn as
/// written (dark ink on white). The correct candidate is framed green; the model's choice, when
/// wrong, red. Nothing without episodes.
inline std::optional<examples::Canvas> episodes_canvas(const siamese::data::LabelledImages& images,
                                                       const std::vector<siamese::data::OneShotEpisode>& episodes,
                                                       const EpisodeResult& result, std::size_t rows) {
    rows = std::min(rows, episodes.size());
    if (rows == 0) return std::nullopt;
    const int side = static_cast<int>(images.image_shape()[1]), w = static_cast<int>(images.image_shape()[2]);
    const int scale = side < 40 ? 2 : 1, border = 2, cell = w * scale + 2 * border + 2, gap = 14;
    std::size_t columns = 0;
    for (std::size_t e = 0; e < rows; ++e) columns = std::max(columns, episodes[e].supports.size());
    const int width = gap + cell + gap + static_cast<int>(columns) * cell + gap;
    const int row_h = side * scale + 2 * border + 8;
    examples::Canvas canvas(width, gap + static_cast<int>(rows) * row_h + gap, examples::dark);
    std::vector<float> plane(static_cast<std::size_t>(images.image_size()));
    auto draw = [&](int x, int y, index_t image) {
        images.copy_image(image, std::span<float>(plane));
        for (auto& v : plane) v = 255 - v;  // show ink dark on white paper, as drawn
        canvas.image(x + border, y + border, plane, w, side, scale);
    };
    for (std::size_t e = 0; e < rows; ++e) {
        const auto& ep = episodes[e];
        const std::size_t q = (3 * e + 1) % ep.queries.size();  // not always the first: its class comes first
        const int y = gap + static_cast<int>(e) * row_h;
        draw(gap, y, ep.queries[q]);
        canvas.frame(gap, y, w * scale + 2 * border, side * scale + 2 * border, border, examples::white);
        const index_t answer = ep.answers[q], chosen = result.chosen[e][q];
        for (std::size_t k = 0; k < ep.supports.size(); ++k) {
            const int x = gap + cell + gap + static_cast<int>(k) * cell;
            draw(x, y, ep.supports[k]);
            if (static_cast<index_t>(k) == answer) {
                canvas.frame(x, y, w * scale + 2 * border, side * scale + 2 * border, border, examples::green);
            } else if (static_cast<index_t>(k) == chosen) {
                canvas.frame(x, y, w * scale + 2 * border, side * scale + 2 * border, border, examples::red);
            }
        }
    }
    return canvas;
}

/// The episodes_canvas picture saved as a PNG.
inline void draw_episodes(const fs::path& path, const siamese::data::LabelledImages& images,
                          const std::vector<siamese::data::OneShotEpisode>& episodes, const EpisodeResult& result,
                          std::size_t rows) {
    if (const auto canvas = episodes_canvas(images, episodes, result, rows)) canvas->save_png(path);
}

}  // namespace omniglot
