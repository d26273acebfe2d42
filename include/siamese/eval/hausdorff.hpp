// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/data/labelled_images.hpp>
#include <siamese/errors.hpp>
#include <siamese/eval/scorer.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace siamese::eval {

/// Which pixels are ink.
enum class Ink {
    light,  ///< pixel >= threshold (MNIST: white strokes on black)
    dark,   ///< pixel < threshold (Omniglot's files: black strokes on white paper; load_omniglot
            ///< inverts them by default, to light)
};

/// How an image is binarised into ink points.
struct InkOptions {
    int threshold = 128;  ///< 1..255
    Ink ink = Ink::light;
};

/// A set of ink points on the pixel grid, kept sorted by row and then column with an index of
/// where each row starts, so the nearest point to any location is found by searching rows
/// outwards from it (see nearest_distance).
class InkPoints {
public:
    struct Point {
        int y = 0;  ///< row
        int x = 0;  ///< column
    };

    InkPoints() = default;

    /// Points in any order (duplicates allowed; they change nothing but the means' weights).
    explicit InkPoints(std::vector<Point> points) : points_(std::move(points)) {
        std::sort(points_.begin(), points_.end(),
                  [](Point a, Point b) { return a.y < b.y || (a.y == b.y && a.x < b.x); });
        if (points_.empty()) return;
        first_row_ = points_.front().y;
        const int rows = points_.back().y - first_row_ + 1;
        row_start_.assign(static_cast<std::size_t>(rows) + 1, 0);
        for (const Point p : points_) ++row_start_[static_cast<std::size_t>(p.y - first_row_) + 1];
        for (std::size_t r = 1; r < row_start_.size(); ++r) row_start_[r] += row_start_[r - 1];
    }

    /// The ink pixels of one single-channel image (height*width bytes, row by row). Throws
    /// shape_error when a side is negative or the pixels do not fill height x width.
    [[nodiscard]] static InkPoints from_image(std::span<const std::uint8_t> pixels, index_t height, index_t width,
                                              const InkOptions& options = {}) {
        if (height < 0 || width < 0 || static_cast<index_t>(pixels.size()) != height * width) {
            throw shape_error("InkPoints::from_image: " + std::to_string(pixels.size()) + " pixels for an image of [" +
                              std::to_string(height) + ", " + std::to_string(width) + "]");
        }
        check_options(options, "InkPoints::from_image");
        std::vector<Point> points;
        for (index_t y = 0; y < height; ++y) {
            for (index_t x = 0; x < width; ++x) {
                const int v = pixels[static_cast<std::size_t>(y * width + x)];
                if (options.ink == Ink::light ? v >= options.threshold : v < options.threshold) {
                    points.push_back({static_cast<int>(y), static_cast<int>(x)});
                }
            }
        }
        return InkPoints(std::move(points));
    }

    [[nodiscard]] index_t size() const noexcept { return static_cast<index_t>(points_.size()); }
    [[nodiscard]] bool empty() const noexcept { return points_.empty(); }
    /// The points, sorted by row, then column.
    [[nodiscard]] const std::vector<Point>& points() const noexcept { return points_; }

    /// Euclidean distance from p to the nearest point of the set (+infinity when it is empty).
    /// Rows are visited at increasing distance |dy| from p's row; within a row a binary search
    /// finds the nearest column. The search stops once dy^2 reaches the best squared distance,
    /// so strokes near p cost a few rows each: O(d log w) for nearest distance d, instead of
    /// the O(|set|) of a full scan.
    [[nodiscard]] double nearest_distance(Point p) const noexcept {
        if (points_.empty()) return std::numeric_limits<double>::infinity();
        const int last_row = first_row_ + static_cast<int>(row_start_.size()) - 2;
        std::int64_t best = std::numeric_limits<std::int64_t>::max();
        for (std::int64_t dy = 0;; ++dy) {
            if (dy * dy >= best) break;
            const bool below = p.y - dy >= first_row_, above = p.y + dy <= last_row;
            if (!below && !above) break;
            if (p.y - dy <= last_row && below)
                best = std::min(best, nearest_in_row(p.y - static_cast<int>(dy), p.x, dy));
            if (dy > 0 && p.y + dy >= first_row_ && above) {
                best = std::min(best, nearest_in_row(p.y + static_cast<int>(dy), p.x, dy));
            }
        }
        return std::sqrt(static_cast<double>(best));
    }

private:
    static void check_options(const InkOptions& o, const char* who) {
        if (o.threshold < 1 || o.threshold > 255) {
            throw std::invalid_argument(std::string(who) + ": the ink threshold must be in 1..255, got " +
                                        std::to_string(o.threshold));
        }
    }

    // Smallest squared distance from (row y, column x) to the points of row y, dy rows from p.
    [[nodiscard]] std::int64_t nearest_in_row(int y, int x, std::int64_t dy) const noexcept {
        const auto r = static_cast<std::size_t>(y - first_row_);
        const auto first = points_.begin() + row_start_[r], last = points_.begin() + row_start_[r + 1];
        if (first == last) return std::numeric_limits<std::int64_t>::max();
        const auto it = std::lower_bound(first, last, x, [](Point a, int v) { return a.x < v; });
        std::int64_t dx = std::numeric_limits<std::int32_t>::max();
        if (it != last) dx = std::min<std::int64_t>(dx, it->x - x);
        if (it != first) dx = std::min<std::int64_t>(dx, x - std::prev(it)->x);
        return dx * dx + dy * dy;
    }

    friend class HausdorffScorer;

    std::vector<Point> points_;
    std::vector<std::ptrdiff_t> row_start_;  // points of row first_row_ + r: [row_start_[r], row_start_[r + 1])
    int first_row_ = 0;
};

/// Mean over the points a of A of the distance from a to the nearest point of B: the directed
/// average distance d(A, B). Both sets must be non-empty (std::invalid_argument).
[[nodiscard]] inline double mean_nearest_distance(const InkPoints& a, const InkPoints& b) {
    if (a.empty() || b.empty()) {
        throw std::invalid_argument("mean_nearest_distance: point sets must be non-empty, got " +
                                    std::to_string(a.size()) + " and " + std::to_string(b.size()) + " points");
    }
    double sum = 0;
    for (const auto p : a.points()) sum += b.nearest_distance(p);
    return sum / static_cast<double>(a.size());
}

/// Modified Hausdorff distance (Dubuisson & Jain 1994): max(d(A, B), d(B, A)) with d the mean
/// nearest-point distance above. Unlike the classic Hausdorff distance (a max of minima) one
/// stray pixel moves it only a little. Both sets must be non-empty.
[[nodiscard]] inline double modified_hausdorff(const InkPoints& a, const InkPoints& b) {
    return std::max(mean_nearest_distance(a, b), mean_nearest_distance(b, a));
}

/// The modified-Hausdorff baseline as a scorer: each image of a single-channel set is
/// binarised into ink points once, at construction; score(query, candidate) = -MHD. Usable
/// with few_shot_accuracy and retrieval_metrics. Throws shape_error for multi-channel images
/// and std::invalid_argument when an image has no ink (usually the wrong Ink polarity); scoring
/// an index outside the set throws shape_error, as every scorer does.
class HausdorffScorer {
public:
    explicit HausdorffScorer(const data::LabelledImages& images, const InkOptions& options = {}) {
        const Shape& s = images.image_shape();
        if (s[0] != 1) {
            throw shape_error("HausdorffScorer: needs single-channel images [1, " + std::to_string(s[1]) + ", " +
                              std::to_string(s[2]) + "], got " + s.str());
        }
        InkPoints::check_options(options, "HausdorffScorer");
        points_.reserve(static_cast<std::size_t>(images.size()));
        for (index_t i = 0; i < images.size(); ++i) {
            points_.push_back(InkPoints::from_image(images.image(i), s[1], s[2], options));
            if (points_.back().empty()) {
                throw std::invalid_argument(
                    "HausdorffScorer: image " + std::to_string(i) + " has no " +
                    (options.ink == Ink::light ? "light" : "dark") + " ink at threshold " +
                    std::to_string(options.threshold) +
                    " (MNIST draws light ink on black; Omniglot's files dark ink on white, but load_omniglot "
                    "inverts them by default to light ink: check InkOptions)");
            }
        }
    }

    /// out[k] = -modified_hausdorff(ink(query), ink(candidates[k]))
    void operator()(index_t query, std::span<const index_t> candidates, std::span<double> out) const {
        detail::require_score_per_candidate(candidates.size(), out.size(), "HausdorffScorer");
        detail::require_images(static_cast<index_t>(points_.size()), query, candidates, "HausdorffScorer");
        const InkPoints& q = points(query);
        for (std::size_t k = 0; k < candidates.size(); ++k) out[k] = -modified_hausdorff(q, points(candidates[k]));
    }

    /// The ink points of image i; shape_error for an index out of range, as the scoring raises.
    [[nodiscard]] const InkPoints& points(index_t i) const {
        detail::require_images(static_cast<index_t>(points_.size()), i, {}, "HausdorffScorer::points");
        return points_[static_cast<std::size_t>(i)];
    }

private:
    std::vector<InkPoints> points_;
};

}  // namespace siamese::eval
