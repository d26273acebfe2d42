// SPDX-License-Identifier: MIT
#pragma once

// Omniglot (Lake, Salakhutdinov & Tenenbaum 2015) from its folder layout:
//   ROOT/ALPHABET/characterNN/NNNN_MM.png     (MM: the drawer, 01..20)
// e.g. ROOT = images_background (30 alphabets) or images_evaluation (20). One class per
// character; each character's alphabet is its group, for within-alphabet episodes.

#include <siamese/config.hpp>
#include <siamese/data/folder_listing.hpp>
#include <siamese/data/labelled_images.hpp>
#include <siamese/data/png.hpp>
#include <siamese/errors.hpp>
#include <siamese/io/file_checks.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace siamese::data {

/// What load_omniglot reads and how it stores the images.
struct OmniglotOptions {
    /// Alphabet folder names to load, in this order (the order of the groups and labels);
    /// empty: every alphabet folder of ROOT, sorted by name.
    std::vector<std::string> alphabets{};
    /// Images are stored as [1, side, side], resized by area averaging (105: as drawn).
    index_t side = 105;
    /// true: ink high (255) on a 0 background, like MNIST; false: the files' black ink on white.
    bool invert = true;
    /// When > 0, every file must be exactly expect_side x expect_side (Omniglot's 105).
    index_t expect_side = 0;
};

/// An Omniglot image set with its structure: labels are character indices 0..C-1 in load order
/// (alphabets as listed, characters by folder name), groups are alphabet indices.
struct Omniglot {
    LabelledImages images;                  ///< [1, side, side] images; label = character index
    std::vector<std::string> alphabets;     ///< [A] group g's alphabet name
    std::vector<std::string> characters;    ///< [C] "ALPHABET/characterNN" of each label
    std::vector<std::int64_t> alphabet_of;  ///< [C] each label's group (index into alphabets)
    std::vector<int> drawers;               ///< [N] each image's drawer (MM in NNNN_MM.png; 0 if the name has none)
    std::vector<std::string> files;         ///< [N] each image's path relative to ROOT
    index_t drawn_height = 0;               ///< the files' size, before resizing to [side, side]
    index_t drawn_width = 0;                ///< (every file has the first one's: 105 x 105 in Omniglot)

    /// Label -> alphabet index, e.g. for eval::FewShotOptions::group_of (within-alphabet episodes).
    [[nodiscard]] std::function<std::int64_t(label_t)> group_of() const {
        return [table = alphabet_of](label_t label) {
            if (label < 0 || label >= static_cast<label_t>(table.size())) {
                throw std::invalid_argument("Omniglot::group_of: no character " + std::to_string(label));
            }
            return table[static_cast<std::size_t>(label)];
        };
    }
};

namespace detail {

/// The folders of `dir`, in name order (list_folder's rules).
inline std::vector<std::filesystem::path> sorted_folders(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : list_folder(dir)) {
        if (entry.is_folder) out.push_back(entry.path);
    }
    return out;
}

/// The drawer in "NNNN_MM.png": the digits after the last '_' (0 when there are none).
inline int drawer_of(const std::filesystem::path& file) {
    const std::string stem = file.stem().string();
    const auto underscore = stem.rfind('_');
    if (underscore == std::string::npos || underscore + 1 == stem.size() || stem.size() - underscore > 6) return 0;
    int d = 0;
    for (std::size_t i = underscore + 1; i < stem.size(); ++i) {
        if (stem[i] < '0' || stem[i] > '9') return 0;
        d = d * 10 + (stem[i] - '0');
    }
    return d;
}

/// The folder of `root` holding a folder named `alphabet`, as " (it is in ROOT/NAME: is that
/// the folder of alphabets?)", or "" when none does: the archives unpack to a folder per set
/// (images_background, ...), and their parent is an easy root to give by mistake.
inline std::string nested_alphabet_hint(const std::filesystem::path& root, const std::vector<std::string>& folders,
                                        const std::string& alphabet) {
    // Only a plain folder name can be an alphabet one level down ("" or "a/.." would match any folder).
    const std::filesystem::path one_name(alphabet);
    if (alphabet.empty() || one_name.has_parent_path() || alphabet == "." || alphabet == "..") return "";
    std::error_code ec;
    for (const auto& name : folders) {
        if (std::filesystem::is_directory(root / name / alphabet, ec)) {
            return " (it is in " + (root / name).string() + ": is that the folder of alphabets?)";
        }
    }
    return "";
}

}  // namespace detail

/// The alphabet folders of an Omniglot root, sorted by name. Throws io_error when root is not a folder.
[[nodiscard]] inline std::vector<std::string> omniglot_alphabets(const std::filesystem::path& root) {
    io::require_folder(root, "expected an Omniglot folder of alphabets, e.g. images_background");
    std::vector<std::string> names;
    for (const auto& p : detail::sorted_folders(root)) names.push_back(p.filename().string());
    return names;
}

/// Loads the chosen alphabets of an Omniglot root. Throws io_error naming the folder or file
/// for a missing root, an unknown alphabet (listing the available ones), an alphabet without
/// character folders, a character without PNG images, an image of another size than the first
/// one loaded, and any image read_png rejects; throws std::invalid_argument for an alphabet
/// listed twice, a non-positive side or a negative expect_side.
[[nodiscard]] inline Omniglot load_omniglot(const std::filesystem::path& root, const OmniglotOptions& options = {}) {
    if (options.side < 1) {
        throw std::invalid_argument("load_omniglot: side must be positive, got " + std::to_string(options.side));
    }
    if (options.expect_side < 0) {
        throw std::invalid_argument("load_omniglot: expect_side must be 0 (any size) or positive, got " +
                                    std::to_string(options.expect_side));
    }
    const auto available = omniglot_alphabets(root);
    std::vector<std::string> wanted = options.alphabets.empty() ? available : options.alphabets;
    if (wanted.empty()) throw io_error(root.string() + ": no alphabet folders");
    std::set<std::string> seen;
    for (const auto& a : wanted) {
        if (!seen.insert(a).second) throw std::invalid_argument("load_omniglot: alphabet '" + a + "' listed twice");
        if (!std::binary_search(available.begin(), available.end(), a)) {
            std::string list;
            for (const auto& name : available) {
                if (!list.empty()) list += ", ";
                list += name;
            }
            throw io_error(root.string() + ": no alphabet '" + a + "'; available: " + list +
                           detail::nested_alphabet_hint(root, available, a));
        }
    }

    // Read as drawn, then resized: the first file's size is then known, and every other file must
    // have it. A drawing of another size (a stray 1 x 1 image) would otherwise be stretched to the
    // side and trained on without a word.
    PngOptions png;
    png.invert = options.invert;
    png.expect_height = png.expect_width = options.expect_side;
    std::string first_file;

    Omniglot set;
    std::vector<std::uint8_t> pixels;
    std::vector<label_t> labels;
    for (const auto& alphabet : wanted) {
        const auto characters = detail::sorted_folders(root / alphabet);
        if (characters.empty()) throw io_error((root / alphabet).string() + ": no character folders");
        const auto group = static_cast<std::int64_t>(set.alphabets.size());
        set.alphabets.push_back(alphabet);
        for (const auto& character : characters) {
            const auto files = detail::list_png_files(character);
            if (files.empty()) {
                // Folders where the drawings should be: root is one level above the alphabets.
                const bool nested = !detail::sorted_folders(character).empty();
                throw io_error(character.string() + ": no PNG images" +
                               (nested ? " (it holds folders: is " + (root / alphabet).string() +
                                             " the folder of alphabets, rather than " + root.string() + "?)"
                                       : std::string()));
            }
            const auto label = static_cast<label_t>(set.characters.size());
            set.characters.push_back(alphabet + "/" + character.filename().string());
            set.alphabet_of.push_back(group);
            for (const auto& f : files) {
                GrayImage img = read_png(f, png);
                if (first_file.empty()) {
                    first_file = f.string();
                    set.drawn_height = img.height;
                    set.drawn_width = img.width;
                } else if (img.height != set.drawn_height || img.width != set.drawn_width) {
                    throw io_error(f.string() + ": image is " + std::to_string(img.width) + "x" +
                                   std::to_string(img.height) + ", but the first one loaded (" + first_file + ") is " +
                                   std::to_string(set.drawn_width) + "x" + std::to_string(set.drawn_height) +
                                   ": the drawings of a set must share one size");
                }
                if (img.height != options.side || img.width != options.side) {
                    img = resize_area(img, options.side, options.side);
                }
                pixels.insert(pixels.end(), img.pixels.begin(), img.pixels.end());
                labels.push_back(label);
                set.drawers.push_back(detail::drawer_of(f));
                set.files.push_back(set.characters.back() + "/" + f.filename().string());
            }
        }
    }
    set.images = LabelledImages(Shape{1, options.side, options.side}, std::move(pixels), std::move(labels));
    return set;
}

}  // namespace siamese::data
