// SPDX-License-Identifier: MIT
#pragma once

// The example's alphabet splits, the presets --train / --validation / --alphabets accept, and
// loading alphabets at the network's resolution.

#include "../common/output_folder.hpp"

#include <siamese/data/omniglot.hpp>
#include <siamese/errors.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace omniglot {

namespace fs = std::filesystem;

// The 30 background alphabets, split once (a seeded draw among the alphabets with at least 20
// characters that are in neither minimal set; the two Georgian scripts and Japanese hiragana
// stay in training, so no test alphabet has a sibling script there): 5 test alphabets,
// reported once; 5 validation alphabets, for early stopping and every tuning decision; 20 more
// to train on. Only alphabets with at least 20 characters can host 20-way within-alphabet episodes.
inline const std::vector<std::string> test5 = {"Bengali", "Braille", "Burmese_(Myanmar)", "Gujarati", "Tifinagh"};
inline const std::vector<std::string> validation5 = {"Arcadian", "Cyrillic", "Futurama", "Grantha",
                                                     "Syriac_(Estrangelo)"};
// Lake et al.'s two "minimal" background sets (the archives images_background_small1/2 hold
// exactly these alphabets of images_background, byte for byte).
inline const std::vector<std::string> small1 = {"Balinese", "Early_Aramaic", "Greek", "Korean", "Latin"};
inline const std::vector<std::string> small2 = {"Greek", "Japanese_(katakana)", "Latin", "Sanskrit", "Tagalog"};

inline const char* alphabet_list_help =
    "comma-separated alphabet names (folder names under --data) or presets: all; train25 (all but "
    "test5); train20 (all but test5 and validation5); test5 (Bengali, Braille, Burmese_(Myanmar), "
    "Gujarati, Tifinagh); validation5 (Arcadian, Cyrillic, Futurama, Grantha, Syriac_(Estrangelo)); "
    "small1; small2; none";

/// Expands a comma-separated list of alphabet names and presets against the alphabets present.
inline std::vector<std::string> expand_alphabets(const std::string& list, const std::vector<std::string>& available) {
    auto minus = [&](const std::vector<std::vector<std::string>>& out) {
        std::vector<std::string> r;
        for (const auto& a : available) {
            bool excluded = false;
            for (const auto& l : out) excluded = excluded || std::find(l.begin(), l.end(), a) != l.end();
            if (!excluded) r.push_back(a);
        }
        return r;
    };
    std::vector<std::string> result;
    std::stringstream in(list);
    std::string token;
    while (std::getline(in, token, ',')) {
        // "Latin, Greek" as a person types it: no folder name starts or ends with a space.
        token.erase(0, token.find_first_not_of(' '));
        token.erase(token.find_last_not_of(' ') + 1);
        if (token.empty() || token == "none") continue;
        std::vector<std::string> add;
        if (token == "all")
            add = available;
        else if (token == "train25")
            add = minus({test5});
        else if (token == "train20")
            add = minus({test5, validation5});
        else if (token == "test5")
            add = test5;
        else if (token == "validation5")
            add = validation5;
        else if (token == "small1")
            add = small1;
        else if (token == "small2")
            add = small2;
        else
            add = {token};
        for (auto& a : add) {
            if (std::find(result.begin(), result.end(), a) == result.end()) result.push_back(a);
        }
    }
    return result;
}

inline std::string join(const std::vector<std::string>& v, const char* sep = ",") {
    std::string s;
    for (const auto& x : v) {
        if (!s.empty()) s += sep;
        s += x;
    }
    return s;
}

/// The folder's alphabets, with a hint when it is missing.
inline std::vector<std::string> available_alphabets(const fs::path& data) {
    std::error_code ec;
    if (!fs::is_directory(data, ec)) {
        throw siamese::io_error(data.string() +
                                ": no such folder; fetch Omniglot with scripts/fetch_omniglot.sh or point "
                                "--data at a folder of alphabets (e.g. images_background)");
    }
    auto alphabets = siamese::data::omniglot_alphabets(data);
    if (alphabets.empty()) {
        // Most likely the folder of the downloaded archives, or an alphabet's parent one level too high or low.
        bool archives = false;
        for (const auto& entry : fs::directory_iterator(data, ec)) archives |= entry.path().extension() == ".zip";
        throw siamese::io_error(
            archives ? data.string() +
                           ": no alphabet folders in it, but zip files: unpack Omniglot with "
                           "scripts/fetch_omniglot.sh " +
                           examples::shell_word(data.string()) + ", then give --data data/omniglot/images_background"
                     : data.string() +
                           ": no alphabet folders in it; give --data a folder of alphabets, such as "
                           "data/omniglot/images_background (scripts/fetch_omniglot.sh unpacks it)");
    }
    return alphabets;
}

/// Loads alphabets of the Omniglot folder at the network's resolution, ink high.
inline siamese::data::Omniglot load_alphabets(const fs::path& data, const std::vector<std::string>& alphabets,
                                              long side) {
    siamese::data::OmniglotOptions o;
    o.alphabets = alphabets;
    o.side = side;
    o.invert = true;
    return siamese::data::load_omniglot(data, o);
}

/// The alphabets of `set` that can host `ways`-way within-alphabet episodes (at least `ways`
/// characters); says which cannot, since within_alphabet_episodes draws none from them, so that
/// a result over "all" or a list is not read as covering alphabets it never saw.
inline std::vector<std::string> alphabets_hosting(const siamese::data::Omniglot& set, long ways) {
    std::vector<long> characters(set.alphabets.size(), 0);
    for (const auto a : set.alphabet_of) ++characters[static_cast<std::size_t>(a)];
    std::vector<std::string> hosting, left_out;
    for (std::size_t a = 0; a < set.alphabets.size(); ++a) {
        if (characters[a] >= ways) {
            hosting.push_back(set.alphabets[a]);
        } else {
            left_out.push_back(set.alphabets[a] + " (" + std::to_string(characters[a]) + ")");
        }
    }
    if (!left_out.empty() && !hosting.empty()) {
        std::printf("note: left out, with fewer than the %ld characters of a %ld-way episode: %s\n", ways, ways,
                    join(left_out, ", ").c_str());
    }
    return hosting;
}

}  // namespace omniglot
