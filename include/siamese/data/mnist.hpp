// SPDX-License-Identifier: MIT
#pragma once

// MNIST as distributed: the four IDX files of its two splits, found by their usual names.

#include <siamese/data/idx.hpp>
#include <siamese/data/labelled_images.hpp>
#include <siamese/errors.hpp>

#include <array>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace siamese::data {

/// Which half of MNIST: 60,000 training or 10,000 test images.
enum class Split { train, test };

/// "train" or "test".
[[nodiscard]] inline std::string_view to_string(Split split) noexcept {
    return split == Split::train ? "train" : "test";
}

/// Parses "train" or "test"; throws std::invalid_argument otherwise.
[[nodiscard]] inline Split parse_split(std::string_view text) {
    if (text == "train") return Split::train;
    if (text == "test") return Split::test;
    throw std::invalid_argument("parse_split: unknown split '" + std::string(text) + "', expected 'train' or 'test'");
}

namespace detail {

/// The usual names of one MNIST file of a split: plain, gzipped, and as some mirrors name them.
inline std::array<std::string, 3> mnist_file_names(Split split, std::string_view kind, int rank) {
    const std::string stem = std::string(split == Split::train ? "train" : "t10k") + "-" + std::string(kind);
    const std::string idx = "idx" + std::to_string(rank) + "-ubyte";
    return {stem + "-" + idx, stem + "-" + idx + ".gz", stem + "." + idx};
}

/// The first of those names that exists in dir, or an empty path.
inline std::filesystem::path existing_mnist_file(const std::filesystem::path& dir, Split split, std::string_view kind,
                                                 int rank) {
    for (const auto& name : mnist_file_names(split, kind, rank)) {
        std::error_code ec;
        if (std::filesystem::exists(dir / name, ec)) return dir / name;
    }
    return {};
}

/// The same, or io_error listing the names looked for.
inline std::filesystem::path find_mnist_file(const std::filesystem::path& dir, Split split, std::string_view kind,
                                             int rank) {
    if (auto file = existing_mnist_file(dir, split, kind, rank); !file.empty()) return file;
    std::string tried;
    for (const auto& name : mnist_file_names(split, kind, rank)) tried += (tried.empty() ? "" : ", ") + name;
    throw io_error(dir.string() + ": no MNIST " + std::string(to_string(split)) + " " + std::string(kind) +
                   " file: looked for " + tried + " (scripts/fetch_mnist.sh downloads them)");
}

}  // namespace detail

/// The IDX images file of `split` that load_mnist would read from `dir` (train-images-idx3-ubyte,
/// its .gz, or train-images.idx3-ubyte; t10k-... for the test split), or an empty path when
/// there is none. For a program that offers other formats beside IDX and must say which it read.
[[nodiscard]] inline std::filesystem::path mnist_images_file(const std::filesystem::path& dir, Split split) {
    return detail::existing_mnist_file(dir, split, "images", 3);
}

/// Loads one split of MNIST from a folder holding the original IDX files
/// (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
/// t10k-labels-idx1-ubyte, each possibly gzipped with a .gz suffix): images [1, 28, 28], labels 0..9.
[[nodiscard]] inline LabelledImages load_mnist(const std::filesystem::path& dir, Split split) {
    std::error_code ec;
    const auto status = std::filesystem::status(dir, ec);
    if (!std::filesystem::exists(status)) {
        throw io_error(dir.string() + ": MNIST folder not found (scripts/fetch_mnist.sh downloads it)");
    }
    if (!std::filesystem::is_directory(status)) {
        throw io_error(dir.string() + ": is not a folder, expected the MNIST folder holding the IDX files");
    }
    const auto images = detail::find_mnist_file(dir, split, "images", 3);
    const auto labels = detail::find_mnist_file(dir, split, "labels", 1);
    return load_idx(images, labels);
}

}  // namespace siamese::data
