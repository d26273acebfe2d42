// SPDX-License-Identifier: MIT
#pragma once

// The one-shot classification runs of Lake et al. (2015): a folder holding run01 ... run20,
// each with
//   training/classNN.png   one image per candidate class
//   test/itemNN.png        the images to classify
//   class_labels.txt       one line per test item: "runNN/test/itemXX.png runNN/training/classYY.png"
// (the query and its correct class image, relative to the folder holding the runs).

#include <siamese/config.hpp>
#include <siamese/data/folder_listing.hpp>
#include <siamese/data/labelled_images.hpp>
#include <siamese/data/one_shot_episode.hpp>
#include <siamese/data/png.hpp>
#include <siamese/detail/quoted_text.hpp>
#include <siamese/errors.hpp>
#include <siamese/io/file_checks.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace siamese::data {

/// One run: its images and the episode over them.
struct OneShotRun {
    std::string name;  ///< the run's folder name, e.g. "run01"
    /// The training (class) images in file-name order, labels 0..K-1, then the test items in
    /// class_labels.txt order, each labelled with its class: [K + Q] images of [1, H, W].
    LabelledImages images;
    OneShotEpisode episode;          ///< supports 0..K-1, queries K..K+Q-1, answers from class_labels.txt
    std::vector<std::string> files;  ///< [K + Q] each image's path as class_labels.txt writes it
};

namespace detail {

/// Text of class_labels.txt in a message: control bytes escaped (a UTF-16 file put NULs in it),
/// a line cut short, a path whole.
inline std::string shown_text(std::string_view s, std::size_t max = 120) {
    return siamese::detail::quoted_text(s, max);
}
inline std::string shown_path(const std::filesystem::path& p) { return shown_text(p.string(), 4096); }

inline std::vector<std::string> png_names(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& file : list_png_files(dir)) names.push_back(file.filename().string());
    return names;
}

/// Loads one run folder `base/run`.
inline OneShotRun load_one_shot_run(const std::filesystem::path& base, const std::string& run, const PngOptions& png) {
    const auto dir = base / run;
    const auto labels_path = dir / "class_labels.txt";
    const std::string shown = labels_path.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(labels_path, ec))
        throw io_error(shown + ": no such file (every run folder needs one)");
    for (const char* sub : {"training", "test"}) {
        if (!std::filesystem::is_directory(dir / sub, ec)) throw io_error((dir / sub).string() + ": no such folder");
    }
    const auto classes = png_names(dir / "training");
    if (classes.size() < 2) {
        throw io_error((dir / "training").string() + ": " + std::to_string(classes.size()) +
                       " class image(s); a run needs at least 2 candidates");
    }
    const std::string train_prefix = run + "/training/", test_prefix = run + "/test/";

    std::ifstream in(labels_path);
    if (!in) throw io_error(shown + ": cannot open");
    std::vector<std::string> items;
    std::vector<index_t> answers;
    std::map<std::string, long> first_line;
    std::string line;
    for (long number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        // A UTF-8 byte-order mark, as Windows editors write: invisible in an error message.
        if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
        if (number == 1 && (line.rfind("\xFF\xFE", 0) == 0 || line.rfind("\xFE\xFF", 0) == 0)) {
            throw io_error(shown +
                           ": a UTF-16 file (it starts with UTF-16's byte-order mark); save it as plain "
                           "text (ASCII or UTF-8)");
        }
        std::istringstream fields(line);
        std::string query, target, extra;
        fields >> query >> target;
        if (query.empty()) continue;  // blank lines
        auto bad = [&](const std::string& why) {
            throw io_error(shown + ": line " + std::to_string(number) + ": " + why);
        };
        if (target.empty() || (fields >> extra)) {
            bad("expected two paths, '" + run + "/test/itemXX.png " + run + "/training/classYY.png', found " +
                shown_text(line));
        }
        if (query.rfind(test_prefix, 0) != 0 || query.find('/', test_prefix.size()) != std::string::npos) {
            bad("the query " + shown_text(query) + " is not an image in " + test_prefix);
        }
        if (target.rfind(train_prefix, 0) != 0 || target.find('/', train_prefix.size()) != std::string::npos) {
            bad("the class " + shown_text(target) + " is not an image in " + train_prefix);
        }
        if (!std::filesystem::is_regular_file(base / query, ec)) bad("no such file: " + shown_path(base / query));
        if (!std::filesystem::is_regular_file(base / target, ec)) bad("no such file: " + shown_path(base / target));
        const auto cls = std::lower_bound(classes.begin(), classes.end(), target.substr(train_prefix.size()));
        if (cls == classes.end() || *cls != target.substr(train_prefix.size())) {
            bad("the class " + shown_text(target) + " is not a PNG image");
        }
        if (const auto [it, fresh] = first_line.emplace(query, number); !fresh) {
            bad("the query " + shown_text(query) + " is listed twice (first on line " + std::to_string(it->second) +
                ")");
        }
        items.push_back(query);
        answers.push_back(cls - classes.begin());
    }
    if (items.empty()) throw io_error(shown + ": no test items listed");
    for (const auto& item : png_names(dir / "test")) {
        if (!first_line.count(test_prefix + item)) {
            throw io_error(shown + ": the test item " + test_prefix + item +
                           " has no line (every item needs its class)");
        }
    }

    OneShotRun r;
    r.name = run;
    std::vector<std::uint8_t> pixels;
    std::vector<label_t> labels;
    index_t height = 0, width = 0;
    auto add = [&](const std::string& relative, index_t label) {
        const GrayImage img = read_png(base / relative, png);
        if (labels.empty()) {
            height = img.height;
            width = img.width;
        } else if (img.height != height || img.width != width) {
            throw io_error((base / relative).string() + ": image is " + std::to_string(img.width) + "x" +
                           std::to_string(img.height) + ", the run's first image is " + std::to_string(width) + "x" +
                           std::to_string(height) +
                           " (the images of a run must share one size, or be resized to one: PngOptions height and "
                           "width)");
        }
        pixels.insert(pixels.end(), img.pixels.begin(), img.pixels.end());
        labels.push_back(label);
        r.files.push_back(relative);
    };
    for (std::size_t k = 0; k < classes.size(); ++k) {
        add(train_prefix + classes[k], static_cast<index_t>(k));
        r.episode.supports.push_back(static_cast<index_t>(k));
    }
    for (std::size_t q = 0; q < items.size(); ++q) {
        add(items[q], answers[q]);
        r.episode.queries.push_back(static_cast<index_t>(classes.size() + q));
    }
    r.episode.answers = std::move(answers);
    r.images = LabelledImages(Shape{1, height, width}, std::move(pixels), std::move(labels));
    return r;
}

}  // namespace detail

/// Loads every run under `folder`: its subfolders named run* (sorted by name), or `folder`
/// itself when it holds a class_labels.txt (a single run; paths are then relative to its
/// parent). `png` says how images are read (e.g. invert and resize like the training images).
/// Throws io_error naming the file and line for: no runs, a run without class_labels.txt,
/// training/ or test/; a malformed line; a path outside the run's training/ or test/ folder;
/// a missing image; a test item listed twice or not at all; images of different sizes; and
/// anything read_png rejects.
[[nodiscard]] inline std::vector<OneShotRun> load_one_shot_runs(const std::filesystem::path& folder,
                                                                const PngOptions& png = {}) {
    io::require_folder(folder, "expected one-shot runs");
    std::error_code ec;
    if (std::filesystem::is_regular_file(folder / "class_labels.txt", ec)) {
        const auto absolute = std::filesystem::absolute(folder, ec).lexically_normal();
        const auto dir = absolute.has_filename() ? absolute : absolute.parent_path();
        return {detail::load_one_shot_run(dir.parent_path(), dir.filename().string(), png)};
    }
    std::vector<std::string> runs;
    for (const auto& entry : detail::list_folder(folder)) {
        const auto name = entry.path.filename().string();
        if (name.rfind("run", 0) != 0) continue;
        // A runNN that is not a folder (a file in its place) would be left out of the score unseen.
        const bool numbered = name.size() > 3 && name.find_first_not_of("0123456789", 3) == std::string::npos;
        if (numbered && !entry.is_folder) {
            throw io_error((folder / name).string() + ": not a folder, expected a one-shot run");
        }
        if (entry.is_folder) runs.push_back(name);
    }
    if (runs.empty()) {
        throw io_error(folder.string() +
                       ": no one-shot runs (expected folders run01, run02, ... each with "
                       "class_labels.txt, training/ and test/)");
    }
    std::vector<OneShotRun> out;
    for (const auto& run : runs) out.push_back(detail::load_one_shot_run(folder, run, png));
    return out;
}

}  // namespace siamese::data
