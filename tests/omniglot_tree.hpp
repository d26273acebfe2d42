// SPDX-License-Identifier: MIT
#pragma once

// Small Omniglot-like folder trees for the loader tests, written as PNGs.

#include <siamese/data/png.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace siamese::test {

/// A side x side drawing as Omniglot stores it, black ink (0) on white (255): a horizontal
/// stroke on row `character` % side and one dark pixel in column `drawer` % side of the last row.
inline data::GrayImage drawing(int side, int character, int drawer) {
    data::GrayImage g{side, side, std::vector<std::uint8_t>(static_cast<std::size_t>(side * side), 255)};
    for (int x = 0; x < side; ++x) g.pixels[static_cast<std::size_t>((character % side) * side + x)] = 0;
    g.pixels[static_cast<std::size_t>((side - 1) * side + drawer % side)] = 0;
    return g;
}

/// Alphabets with the given character counts, each character drawn by `drawers` people, as
/// ROOT/ALPHABET/characterNN/IIII_MM.png (IIII counts characters across the alphabets from 0,
/// MM the drawer from 1), each drawing `side` pixels square.
inline void write_omniglot_tree(const std::filesystem::path& root, const std::map<std::string, int>& alphabets,
                                int drawers, int side) {
    int id = 0;
    for (const auto& [name, characters] : alphabets) {
        for (int c = 1; c <= characters; ++c, ++id) {
            char folder[32];
            std::snprintf(folder, sizeof folder, "character%02d", c);
            std::filesystem::create_directories(root / name / folder);
            for (int d = 1; d <= drawers; ++d) {
                char file[32];
                std::snprintf(file, sizeof file, "%04d_%02d.png", id, d);
                data::write_png(root / name / folder / file, drawing(side, id, d));
            }
        }
    }
}

}  // namespace siamese::test
