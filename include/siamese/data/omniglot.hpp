// SPDX-License-Identifier: MIT
#pragma once

// Omniglot (Lake, Salakhutdinov & Tenenbaum 2015) from its folder layout:
//   ROOT/ALPHABET/characterNN/NNNN_MM.png     (MM: the drawer, 01..20)
// e.g. ROOT = images_background (30 alphabets) or images_evaluation (20). One class per
// character; each character's alphabet is its group, for within-alphabet episodes.

#include <siamese/config.hpp>
#include <siamese/data/folder_listing.hpp>
#include <siamese/data/labelled_images.hpp>
#include <siamese/data/one_shot_episode.hpp>
#include <siamese/data/png.hpp>
#include <siamese/errors.hpp>
#include <siamese/io/file_checks.hpp>
#include <siamese/random.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
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

/// "1, 2, 5": drawers for a message.
inline std::string drawer_list(const std::vector<int>& drawers) {
    std::string out;
    for (const int d : drawers) out += (out.empty() ? "" : ", ") + std::to_string(d);
    return out;
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
    if (options.side < 1) throw std::invalid_argument("load_omniglot: side must be positive");
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

/// Options of within_alphabet_episodes.
struct AlphabetEpisodeOptions {
    index_t ways = 20;        ///< characters per episode, all from one alphabet
    index_t episodes = 1000;  ///< number of episodes
    std::uint64_t seed = 0;
};

/// Lake et al.'s one-shot protocol on an Omniglot set: each episode draws an alphabet uniformly
/// among those with at least `ways` characters, `ways` of its characters, and two different
/// drawers a and b (among the drawers every one of those characters has); the supports are
/// drawer a's images of the characters, the queries drawer b's, one per character (answers[k]
/// = k). Characters drawn by fewer than two people take no part. Deterministic for a seed.
/// Throws std::invalid_argument, whatever the seed, when ways < 2 or episodes < 0, when no
/// alphabet can host an episode (too few characters), when the characters of a hosting alphabet
/// do not all share two drawers (some draws would find no pair), or when the drawers are
/// unknown: an image whose name has no drawer number, or two images of one character by one
/// drawer.
[[nodiscard]] inline std::vector<OneShotEpisode> within_alphabet_episodes(const Omniglot& set,
                                                                          const AlphabetEpisodeOptions& options) {
    if (options.ways < 2) throw std::invalid_argument("within_alphabet_episodes: ways must be at least 2");
    if (options.episodes < 0) throw std::invalid_argument("within_alphabet_episodes: episodes must not be negative");
    if (set.drawers.size() != static_cast<std::size_t>(set.images.size())) {
        throw std::invalid_argument("within_alphabet_episodes: the set has " + std::to_string(set.images.size()) +
                                    " images but " + std::to_string(set.drawers.size()) + " drawers");
    }
    const auto file_name = [&set](index_t i) {
        const auto k = static_cast<std::size_t>(i);
        return k < set.files.size() ? set.files[k] : "image " + std::to_string(i);
    };
    // image index of (character, drawer)
    std::vector<std::map<int, index_t>> by_drawer(set.characters.size());
    for (index_t i = 0; i < set.images.size(); ++i) {
        const auto c = static_cast<std::size_t>(set.images.label(i));
        if (c >= by_drawer.size()) throw std::invalid_argument("within_alphabet_episodes: label out of range");
        const int drawer = set.drawers[static_cast<std::size_t>(i)];
        if (drawer <= 0) {
            throw std::invalid_argument("within_alphabet_episodes: " + file_name(i) +
                                        " has no drawer number (the MM of NNNN_MM.png, from 1): episodes take "
                                        "supports and queries from different drawers");
        }
        const auto [at, added] = by_drawer[c].emplace(drawer, i);
        if (!added) {
            throw std::invalid_argument("within_alphabet_episodes: " + file_name(at->second) + " and " + file_name(i) +
                                        " are both by drawer " + std::to_string(drawer) +
                                        ": an episode takes one image of a character from each drawer");
        }
    }
    std::vector<std::vector<index_t>> members(set.alphabets.size());
    for (std::size_t c = 0; c < set.characters.size(); ++c) {
        if (by_drawer[c].size() >= 2)
            members[static_cast<std::size_t>(set.alphabet_of[c])].push_back(static_cast<index_t>(c));
    }
    std::vector<std::size_t> hosts;
    std::string sizes;
    for (std::size_t a = 0; a < members.size(); ++a) {
        if (static_cast<index_t>(members[a].size()) >= options.ways) hosts.push_back(a);
        if (!sizes.empty()) sizes += ", ";
        sizes += set.alphabets[a] + " " + std::to_string(members[a].size());
    }
    if (hosts.empty()) {
        throw std::invalid_argument("within_alphabet_episodes: no alphabet has " + std::to_string(options.ways) +
                                    " characters drawn by at least two people (" + sizes + ")");
    }
    // Checked here rather than at a draw, so that the seed decides the episodes but never whether
    // they can be made: any `ways` of a host's characters must share two drawers.
    for (const std::size_t a : hosts) {
        std::vector<int> shared;
        for (const auto& entry : by_drawer[static_cast<std::size_t>(members[a][0])]) shared.push_back(entry.first);
        for (const index_t c : members[a]) {
            const auto& drawn = by_drawer[static_cast<std::size_t>(c)];
            std::vector<int> kept;
            for (const int d : shared) {
                if (drawn.count(d) > 0) kept.push_back(d);
            }
            if (kept.size() < 2) {
                std::vector<int> own;
                for (const auto& entry : drawn) own.push_back(entry.first);
                throw std::invalid_argument(
                    "within_alphabet_episodes: the characters of " + set.alphabets[a] +
                    " do not all share two drawers: " + set.characters[static_cast<std::size_t>(c)] + " is drawn by " +
                    detail::drawer_list(own) + ", the characters before it all by " + detail::drawer_list(shared) +
                    " (supports and queries come from two drawers of every character)");
            }
            shared = std::move(kept);
        }
    }
    Rng rng(options.seed);
    std::vector<OneShotEpisode> episodes;
    episodes.reserve(static_cast<std::size_t>(options.episodes));
    std::vector<int> common;
    for (index_t e = 0; e < options.episodes; ++e) {
        const std::size_t a = hosts[static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(hosts.size())))];
        auto& pool = members[a];
        OneShotEpisode ep;
        ep.group = static_cast<std::int64_t>(a);
        // ways distinct characters at the front of the pool
        for (index_t k = 0; k < options.ways; ++k) swap_random_to(pool, static_cast<std::size_t>(k), rng);
        // The drawers all `ways` characters share: at least the two the check above found.
        common.clear();
        for (const auto& [drawer, image] : by_drawer[static_cast<std::size_t>(pool[0])]) {
            bool everywhere = true;
            for (index_t k = 1; k < options.ways && everywhere; ++k) {
                everywhere = by_drawer[static_cast<std::size_t>(pool[static_cast<std::size_t>(k)])].count(drawer) > 0;
            }
            if (everywhere) common.push_back(drawer);
        }
        const auto da = static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(common.size())));
        auto db = static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(common.size()) - 1));
        db += db >= da;  // uniform over the other drawers
        for (index_t k = 0; k < options.ways; ++k) {
            const auto& images = by_drawer[static_cast<std::size_t>(pool[static_cast<std::size_t>(k)])];
            ep.supports.push_back(images.at(common[da]));
            ep.queries.push_back(images.at(common[db]));
            ep.answers.push_back(k);
        }
        episodes.push_back(std::move(ep));
    }
    return episodes;
}

}  // namespace siamese::data
