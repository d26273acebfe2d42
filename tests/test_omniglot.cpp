// SPDX-License-Identifier: MIT
#include "omniglot_tree.hpp"
#include "temp_dir.hpp"
#include "test_util.hpp"

#include <siamese/data/omniglot.hpp>
#include <siamese/data/omniglot_episodes.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace siamese;
using namespace siamese::data;
namespace fs = std::filesystem;

#if defined(SIAMESE_HAS_PNG) && SIAMESE_HAS_PNG

namespace {

using test::TempDir;

/// A small Omniglot-like tree of 8x8 drawings (omniglot_tree.hpp).
void write_tree(const fs::path& root, const std::map<std::string, int>& alphabets, int drawers) {
    test::write_omniglot_tree(root, alphabets, drawers, 8);
}

using test::io_error_of;

}  // namespace

TEST_CASE("Omniglot: a folder tree loads as one class per character, grouped by alphabet") {
    TempDir dir;
    write_tree(dir.path, {{"Beta", 2}, {"Alpha", 3}}, 4);
    const auto set = load_omniglot(dir.path, {.side = 8});
    CHECK(set.alphabets == std::vector<std::string>{"Alpha", "Beta"});  // sorted by name
    REQUIRE(set.characters.size() == 5);
    CHECK(set.characters[0] == "Alpha/character01");
    CHECK(set.characters[4] == "Beta/character02");
    CHECK(set.alphabet_of == std::vector<std::int64_t>{0, 0, 0, 1, 1});
    CHECK(set.images.size() == 20);
    CHECK(set.images.image_shape() == Shape{1, 8, 8});
    CHECK(set.images.classes() == std::vector<label_t>{0, 1, 2, 3, 4});
    CHECK(set.images.class_counts() == std::vector<index_t>{4, 4, 4, 4, 4});
    CHECK(set.drawers == std::vector<int>{1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4});
    CHECK(set.files[5] == "Alpha/character02/0001_02.png");
    // Ink high by default: the stroke of "Beta" character 0 (file id 3, written as row 3) is 255.
    const auto img = set.images.image(12);
    CHECK(img[3 * 8 + 5] == 255);
    CHECK(img[0] == 0);
    const auto group = set.group_of();
    CHECK(group(0) == 0);
    CHECK(group(4) == 1);
    CHECK_THROWS_AS(group(5), std::invalid_argument);
}

TEST_CASE(
    "Omniglot: alphabets chosen by name keep the given order; images are resized and ink kept as drawn on request") {
    TempDir dir;
    write_tree(dir.path, {{"Alpha", 2}, {"Beta", 2}, {"Gamma", 1}}, 2);
    const auto set = load_omniglot(dir.path, {.alphabets = {"Gamma", "Alpha"}, .side = 4, .invert = false});
    CHECK(set.alphabets == std::vector<std::string>{"Gamma", "Alpha"});
    CHECK(set.characters == std::vector<std::string>{"Gamma/character01", "Alpha/character01", "Alpha/character02"});
    CHECK(set.images.image_shape() == Shape{1, 4, 4});
    // Gamma character01 is file id 4: stroke on row 4 -> resized row 2 averages rows 4 and 5: (0 + 255) / 2.
    const auto img = set.images.image(0);
    CHECK(img[2 * 4 + 1] == 128);
    CHECK(img[0] == 255);  // paper, not inverted
    CHECK(omniglot_alphabets(dir.path) == std::vector<std::string>{"Alpha", "Beta", "Gamma"});
}

TEST_CASE("Omniglot: hidden files and non-PNG files are skipped; a name without a drawer gives drawer 0") {
    TempDir dir;
    write_tree(dir.path, {{"Alpha", 1}}, 2);
    std::ofstream(dir.path / "Alpha" / "character01" / "notes.txt") << "not an image";
    std::ofstream(dir.path / "Alpha" / "character01" / ".DS_Store") << "x";
    fs::create_directories(dir.path / ".cache");
    write_png(dir.path / "Alpha" / "character01" / "extra.png", test::drawing(8, 0, 0));
    const auto set = load_omniglot(dir.path, {.side = 8});
    CHECK(set.alphabets == std::vector<std::string>{"Alpha"});
    CHECK(set.images.size() == 3);
    CHECK(set.drawers == std::vector<int>{1, 2, 0});
}

TEST_CASE("Omniglot: characters and drawings load in name order, whatever order the folder lists them") {
    // Created out of order: a small folder lists its entries in creation order on ext4 and
    // tmpfs, so the labels and drawers would follow the order files were unpacked in.
    TempDir dir;
    for (const std::string character : {"character03", "character01", "character02"}) {
        fs::create_directories(dir / "Alpha" / character);
        for (const std::string drawer : {"03", "01", "02"}) {
            const int c = character.back() - '0';
            write_png(dir.path / "Alpha" / character / ("000" + std::to_string(c) + "_" + drawer + ".png"),
                      test::drawing(8, c, std::stoi(drawer)));
        }
    }
    // The extension in capitals is a PNG too.
    write_png(dir.path / "Alpha" / "character02" / "0002_04.PNG", test::drawing(8, 2, 4));
    const auto set = load_omniglot(dir.path, {.side = 8});
    CHECK(set.characters == std::vector<std::string>{"Alpha/character01", "Alpha/character02", "Alpha/character03"});
    CHECK(set.drawers == std::vector<int>{1, 2, 3, 1, 2, 3, 4, 1, 2, 3});
    REQUIRE(set.files.size() == 10);
    CHECK(set.files[0] == "Alpha/character01/0001_01.png");
    CHECK(set.files[6] == "Alpha/character02/0002_04.PNG");
    // Character 1's first drawing (its stroke on row 1) is image 0.
    CHECK(set.images.image(0)[1 * 8 + 3] == 255);
}

TEST_CASE("Omniglot: a file where the folder should be (the downloaded zip) is 'not a folder', naming it") {
    // The zip as downloaded, before unpacking: said apart from a missing folder.
    TempDir dir;
    const auto zip = dir.write("images_background.zip", "PK\x03\x04");
    test::require_io_error([&] { (void)load_omniglot(zip); },
                           {zip.string() + ": not a folder (expected an Omniglot folder of alphabets"});
}

TEST_CASE("Omniglot: bad folders and files are errors naming them") {
    TempDir dir;
    CHECK(io_error_of([&] { (void)load_omniglot(dir.path / "missing"); }).find("missing: no such folder") !=
          std::string::npos);
    write_tree(dir.path, {{"Alpha", 1}, {"Beta", 1}}, 2);
    const auto unknown = io_error_of([&] { (void)load_omniglot(dir.path, {.alphabets = {"Klingon"}}); });
    CHECK(unknown.find("no alphabet 'Klingon'; available: Alpha, Beta") != std::string::npos);
    CHECK_THROWS_AS((void)load_omniglot(dir.path, {.alphabets = {"Alpha", "Alpha"}}), std::invalid_argument);
    CHECK_THROWS_WITH_AS((void)load_omniglot(dir.path, {.side = 0}), "load_omniglot: side must be positive, got 0",
                         std::invalid_argument);
    // It named the first PNG file and PngOptions, not the option given.
    CHECK_THROWS_WITH_AS((void)load_omniglot(dir.path, {.expect_side = -1}),
                         doctest::Contains("load_omniglot: expect_side must be 0 (any size) or positive, got -1"),
                         std::invalid_argument);

    fs::create_directories(dir.path / "Empty");
    CHECK(io_error_of([&] {
              (void)load_omniglot(dir.path, {.alphabets = {"Empty"}});
          }).find("Empty: no character folders") != std::string::npos);
    fs::create_directories(dir.path / "Hollow" / "character01");
    CHECK(io_error_of([&] {
              (void)load_omniglot(dir.path, {.alphabets = {"Hollow"}});
          }).find("character01: no PNG images") != std::string::npos);
    CHECK(io_error_of([&] { (void)load_omniglot(dir.path, {.alphabets = {"Hollow"}}); }).find("(it holds folders") ==
          std::string::npos);

    // A folder named like an image is an error, not a drawing left out.
    fs::create_directories(dir.path / "Beta" / "character01" / "0009_09.png" / "inner");
    CHECK(io_error_of([&] {
              (void)load_omniglot(dir.path, {.alphabets = {"Beta"}});
          }).find("character01/0009_09.png: a folder, expected a PNG image") != std::string::npos);
    fs::remove_all(dir.path / "Beta" / "character01" / "0009_09.png");

    std::ofstream(dir.path / "Beta" / "character01" / "0009_09.png") << "not a png";
    const auto bad = io_error_of([&] { (void)load_omniglot(dir.path, {.alphabets = {"Beta"}}); });
    CHECK(bad.find("0009_09.png: not a PNG image") != std::string::npos);
    const auto size = io_error_of([&] { (void)load_omniglot(dir.path, {.alphabets = {"Alpha"}, .expect_side = 105}); });
    CHECK(size.find("image is 8x8, expected 105x105") != std::string::npos);
}

TEST_CASE("Omniglot: the folder above the alphabets (where the archives unpack) is named as the likely mistake") {
    // data/omniglot holds images_background/ALPHABET/...: given data/omniglot, the loader said
    // "no alphabet 'Alpha'" or ".../Alpha: no PNG images" and nothing of where the alphabets were.
    TempDir dir;
    write_tree(dir.path / "images_background", {{"Alpha", 1}}, 2);
    const std::string inner = (dir.path / "images_background").string();
    const auto named = io_error_of([&] { (void)load_omniglot(dir.path, {.alphabets = {"Alpha"}}); });
    CHECK(named == dir.path.string() + ": no alphabet 'Alpha'; available: images_background (it is in " + inner +
                       ": is that the folder of alphabets?)");
    const auto all = io_error_of([&] { (void)load_omniglot(dir.path); });
    CHECK(all == inner + "/Alpha: no PNG images (it holds folders: is " + inner +
                     " the folder of alphabets, rather than " + dir.path.string() + "?)");
    // Names that are not one folder's get no hint: "" and ".." would be "found" in any folder.
    for (const std::string odd : {"", ".", "..", "images_background/Alpha"}) {
        CAPTURE(odd);
        CHECK(io_error_of([&] { (void)load_omniglot(dir.path, {.alphabets = {odd}}); }).find("(it is in") ==
              std::string::npos);
    }
    // Given the right folder, it loads.
    CHECK(load_omniglot(inner, {.side = 8}).alphabets == std::vector<std::string>{"Alpha"});
}

TEST_CASE("Omniglot: every drawing must have the size of the first one loaded, which the set records") {
    TempDir dir;
    write_tree(dir.path, {{"Alpha", 2}}, 2);
    const auto set = load_omniglot(dir.path, {.side = 4});
    CHECK(set.drawn_height == 8);
    CHECK(set.drawn_width == 8);
    CHECK(set.images.image_shape() == Shape{1, 4, 4});
    // A stray 1 x 1 drawing was stretched to the side and trained on without a word.
    write_png(dir.path / "Alpha" / "character02" / "0003_02.png", test::drawing(1, 0, 0));
    const auto first = (dir.path / "Alpha" / "character01" / "0000_01.png").string();
    CHECK(io_error_of([&] { (void)load_omniglot(dir.path, {.side = 4}); }) ==
          (dir.path / "Alpha" / "character02" / "0003_02.png").string() + ": image is 1x1, but the first one loaded (" +
              first + ") is 8x8: the drawings of a set must share one size");
    // Another width alone is as much another size.
    write_png(dir.path / "Alpha" / "character02" / "0003_02.png", data::GrayImage{8, 6, std::vector<std::uint8_t>(48)});
    CHECK(io_error_of([&] { (void)load_omniglot(dir.path, {.side = 4}); }).find(": image is 6x8, but the first") !=
          std::string::npos);
    // Drawings 8 high and 6 wide, all of them, are resized to 8 x 8 though their height is the side.
    for (const auto& entry : fs::recursive_directory_iterator(dir.path)) {
        if (entry.path().extension() == ".png")
            write_png(entry.path(), data::GrayImage{8, 6, std::vector<std::uint8_t>(48, 255)});
    }
    const auto narrow = load_omniglot(dir.path, {.side = 8});
    CHECK(narrow.drawn_width == 6);
    CHECK(narrow.images.image_shape() == Shape{1, 8, 8});
}

TEST_CASE("Omniglot: a symbolic link that leads nowhere is an error, not a character left out") {
    TempDir dir;
    write_tree(dir.path, {{"Alpha", 2}, {"Beta", 1}}, 2);
    // A link to a folder counts as that folder.
    fs::create_directory_symlink(dir.path / "Alpha" / "character01", dir.path / "Beta" / "character02");
    CHECK(load_omniglot(dir.path, {.alphabets = {"Beta"}, .side = 8}).characters.size() == 2);
    // Left dangling (the folder moved away), it must not just vanish from the set.
    fs::rename(dir.path / "Alpha" / "character01", dir.path / "moved");
    const auto character = io_error_of([&] { (void)load_omniglot(dir.path, {.alphabets = {"Beta"}, .side = 8}); });
    CHECK(character.find("Beta/character02: broken symbolic link") != std::string::npos);
    fs::remove(dir.path / "Beta" / "character02");
    fs::create_directory_symlink(dir.path / "nowhere", dir.path / "Gamma");
    CHECK(io_error_of([&] { (void)omniglot_alphabets(dir.path); }).find("Gamma: broken symbolic link") !=
          std::string::npos);
    // A link to itself exists but cannot be followed: the system's reason, not "broken".
    fs::remove(dir.path / "Gamma");
    fs::create_directory_symlink(dir.path / "Delta", dir.path / "Delta");
    const auto loop = io_error_of([&] { (void)omniglot_alphabets(dir.path); });
    CHECK(loop.find("Delta: cannot follow: Too many levels of symbolic links") != std::string::npos);
    // A folder that cannot be listed is an error, not an empty folder. The loaders check that
    // their folders are folders first; what is left (permissions, a folder removed meanwhile)
    // cannot be arranged for root, so the listing is called on a file.
    std::ofstream(dir.path / "plain.txt") << "x";
    CHECK(io_error_of([&] {
              (void)data::detail::list_folder(dir.path / "plain.txt");
          }).find("plain.txt: cannot list: Not a directory") != std::string::npos);
}

TEST_CASE("Omniglot: within-alphabet episodes take supports from one drawer and queries from another") {
    TempDir dir;
    write_tree(dir.path, {{"Alpha", 6}, {"Beta", 3}, {"Gamma", 5}}, 4);
    const auto set = load_omniglot(dir.path, {.side = 8});
    const auto episodes = within_alphabet_episodes(set, {.ways = 5, .episodes = 200, .seed = 7});
    REQUIRE(episodes.size() == 200);
    std::set<std::int64_t> groups;
    std::set<std::pair<int, int>> drawer_pairs;
    for (const auto& e : episodes) {
        REQUIRE(e.supports.size() == 5);
        REQUIRE(e.queries.size() == 5);
        groups.insert(e.group);
        CHECK(e.group != 1);  // Beta has only 3 characters
        std::set<label_t> characters;
        const int support_drawer = set.drawers[static_cast<std::size_t>(e.supports[0])];
        const int query_drawer = set.drawers[static_cast<std::size_t>(e.queries[0])];
        CHECK(support_drawer != query_drawer);
        drawer_pairs.insert({support_drawer, query_drawer});
        for (std::size_t k = 0; k < 5; ++k) {
            const label_t c = set.images.label(e.supports[k]);
            characters.insert(c);
            CHECK(set.alphabet_of[static_cast<std::size_t>(c)] == e.group);
            CHECK(e.answers[k] == static_cast<index_t>(k));
            CHECK(set.images.label(e.queries[k]) == c);
            CHECK(set.drawers[static_cast<std::size_t>(e.supports[k])] == support_drawer);
            CHECK(set.drawers[static_cast<std::size_t>(e.queries[k])] == query_drawer);
        }
        CHECK(characters.size() == 5);
    }
    CHECK(groups == std::set<std::int64_t>{0, 2});
    CHECK(drawer_pairs.size() == 12);  // every ordered pair of 4 drawers turns up
    // Deterministic for a seed, different for another.
    const auto again = within_alphabet_episodes(set, {.ways = 5, .episodes = 200, .seed = 7});
    const auto other = within_alphabet_episodes(set, {.ways = 5, .episodes = 200, .seed = 8});
    bool same = true, differs = false;
    for (std::size_t i = 0; i < episodes.size(); ++i) {
        same = same && again[i].supports == episodes[i].supports && again[i].queries == episodes[i].queries;
        differs = differs || other[i].supports != episodes[i].supports;
    }
    CHECK(same);
    CHECK(differs);
    const auto all = within_alphabet_episodes(set, {.ways = 6, .episodes = 3, .seed = 1});
    for (const auto& e : all) CHECK(e.group == 0);  // only Alpha has 6 characters
}

TEST_CASE("within_alphabet_episodes: a set whose tables disagree is refused, naming what disagrees") {
    // Omniglot is a plain struct a user may trim; alphabet_of past alphabets (or shorter than
    // characters) was indexed without a check, out of bounds.
    TempDir dir;
    write_tree(dir.path, {{"Alpha", 2}, {"Beta", 2}}, 2);
    const auto set = load_omniglot(dir.path, {.side = 8});
    REQUIRE(set.characters.size() == 4);
    auto no_beta = set;  // Beta dropped from the alphabets only
    no_beta.alphabets.pop_back();
    test::require_error<std::invalid_argument>(
        [&] { (void)within_alphabet_episodes(no_beta, {.ways = 2, .episodes = 1}); },
        {"within_alphabet_episodes: character Beta/character01 has alphabet 1, but the set has 1 alphabets"});
    auto short_table = set;
    short_table.alphabet_of.pop_back();
    test::require_error<std::invalid_argument>(
        [&] { (void)within_alphabet_episodes(short_table, {.ways = 2, .episodes = 1}); },
        {"within_alphabet_episodes: the set has 4 characters but 3 alphabet_of entries"});
    auto no_last_character = set;  // its images keep label 3
    no_last_character.characters.pop_back();
    no_last_character.alphabet_of.pop_back();
    test::require_error<std::invalid_argument>(
        [&] { (void)within_alphabet_episodes(no_last_character, {.ways = 2, .episodes = 1}); },
        {"has label 3, but the set has 3 characters"});
    CHECK(within_alphabet_episodes(set, {.ways = 2, .episodes = 1}).size() == 1);
}

TEST_CASE("Omniglot: each episode draws its characters afresh, not mostly those of the episode before") {
    // One alphabet of 5 characters, 2-way: the character of an episode's second support is
    // uniform among the 5 whatever the previous episode drew, so it repeats the previous
    // episode's second character 1/5 of the time (0.2 +- 0.007 over 3000 episodes).
    TempDir dir;
    write_tree(dir.path, {{"Alpha", 5}}, 2);
    const auto set = load_omniglot(dir.path, {.side = 8});
    const auto episodes = within_alphabet_episodes(set, {.ways = 2, .episodes = 3000, .seed = 5});
    int same_second = 0;
    for (std::size_t i = 1; i < episodes.size(); ++i) {
        same_second += set.images.label(episodes[i].supports[1]) == set.images.label(episodes[i - 1].supports[1]);
    }
    const double fraction = same_second / 2999.0;
    CHECK(fraction > 0.15);
    CHECK(fraction < 0.25);
}

TEST_CASE("Omniglot: episodes need an alphabet with enough characters and two drawers") {
    TempDir dir;
    write_tree(dir.path, {{"Alpha", 3}}, 2);
    const auto set = load_omniglot(dir.path, {.side = 8});
    CHECK_THROWS_WITH_AS((void)within_alphabet_episodes(set, {.ways = 4, .episodes = 1}),
                         doctest::Contains("no alphabet has 4 characters"), std::invalid_argument);
    CHECK_THROWS_WITH_AS((void)within_alphabet_episodes(set, {.ways = 1, .episodes = 1}),
                         "within_alphabet_episodes: ways must be at least 2, got 1", std::invalid_argument);
    CHECK_THROWS_WITH_AS((void)within_alphabet_episodes(set, {.episodes = -1}),
                         "within_alphabet_episodes: episodes must not be negative, got -1", std::invalid_argument);
    TempDir lone;
    write_tree(lone.path, {{"Alpha", 3}}, 1);
    const auto single = load_omniglot(lone.path, {.side = 8});
    CHECK_THROWS_AS((void)within_alphabet_episodes(single, {.ways = 2, .episodes = 1}), std::invalid_argument);
}

namespace {

/// within_alphabet_episodes's std::invalid_argument message ("" if it made the episodes).
std::string episodes_error(const Omniglot& set, AlphabetEpisodeOptions options) {
    try {
        (void)within_alphabet_episodes(set, options);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("Omniglot: episodes that some seeds could not draw are refused for every seed") {
    TempDir dir;
    write_tree(dir.path, {{"Alpha", 3}}, 2);
    // character03 is drawn by 3 and 4, the others by 1 and 2: two characters of the three share
    // no drawer. A draw of characters 1 and 2 used to succeed and one with character 3 to throw,
    // so whether a run could be made at all depended on its seed.
    const auto c3 = dir.path / "Alpha" / "character03";
    fs::rename(c3 / "0002_01.png", c3 / "0002_03.png");
    fs::rename(c3 / "0002_02.png", c3 / "0002_04.png");
    const auto set = load_omniglot(dir.path, {.side = 8});
    const std::string expected =
        "within_alphabet_episodes: the characters of Alpha do not all share two drawers: Alpha/character03 is drawn "
        "by 3, 4, the characters before it all by 1, 2 (supports and queries come from two drawers of every "
        "character)";
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
        CHECK(episodes_error(set, {.ways = 2, .episodes = 1, .seed = seed}) == expected);
    }
    // One drawer in common is not enough either; three characters sharing two drawers are.
    write_png(c3 / "0002_02.png", test::drawing(8, 2, 2));
    CHECK(episodes_error(load_omniglot(dir.path, {.side = 8}), {.ways = 2, .episodes = 1})
              .find("Alpha/character03 is drawn by 2, 3, 4, the characters before it all by 1, 2") !=
          std::string::npos);
    write_png(c3 / "0002_01.png", test::drawing(8, 2, 1));
    const auto mended = load_omniglot(dir.path, {.side = 8});
    CHECK(within_alphabet_episodes(mended, {.ways = 3, .episodes = 20}).size() == 20);
}

TEST_CASE("Omniglot: episodes take two drawers all their characters share; one-drawer characters take no part") {
    TempDir dir;
    write_tree(dir.path, {{"Alpha", 3}}, 3);
    // character03 lacks drawer 3, and character04 has drawer 1 only.
    fs::remove(dir.path / "Alpha" / "character03" / "0002_03.png");
    fs::create_directories(dir.path / "Alpha" / "character04");
    write_png(dir.path / "Alpha" / "character04" / "0003_01.png", test::drawing(8, 3, 1));
    const auto set = load_omniglot(dir.path, {.side = 8});
    REQUIRE(set.characters.size() == 4);
    const auto episodes = within_alphabet_episodes(set, {.ways = 3, .episodes = 50});
    REQUIRE(episodes.size() == 50);
    for (const auto& e : episodes) {
        for (std::size_t k = 0; k < 3; ++k) {
            CHECK(set.images.label(e.supports[k]) != 3);
            const int support = set.drawers[static_cast<std::size_t>(e.supports[k])];
            const int query = set.drawers[static_cast<std::size_t>(e.queries[k])];
            CHECK((support == 1 || support == 2));
            CHECK((query == 1 || query == 2));
            CHECK(support != query);
        }
    }
}

TEST_CASE("Omniglot: episodes need to know each image's drawer") {
    TempDir dir;
    write_tree(dir.path, {{"Alpha", 2}}, 2);
    const auto c2 = dir.path / "Alpha" / "character02";
    // Files without a drawer number all counted as drawer 0, one "person".
    fs::rename(c2 / "0001_02.png", c2 / "extra.png");
    CHECK(episodes_error(load_omniglot(dir.path, {.side = 8}), {.ways = 2, .episodes = 1}) ==
          "within_alphabet_episodes: Alpha/character02/extra.png has no drawer number (the MM of NNNN_MM.png, from "
          "1): episodes take supports and queries from different drawers");
    // A second drawing by one drawer was left out without a word.
    fs::rename(c2 / "extra.png", c2 / "0001_02.png");
    write_png(c2 / "9999_01.png", test::drawing(8, 1, 3));
    CHECK(episodes_error(load_omniglot(dir.path, {.side = 8}), {.ways = 2, .episodes = 1}) ==
          "within_alphabet_episodes: Alpha/character02/0001_01.png and Alpha/character02/9999_01.png are both by "
          "drawer 1: an episode takes one image of a character from each drawer");
    // A set put together by hand must give every image a drawer.
    fs::remove(c2 / "9999_01.png");
    auto set = load_omniglot(dir.path, {.side = 8});
    set.drawers.pop_back();
    CHECK(episodes_error(set, {.ways = 2, .episodes = 1}) ==
          "within_alphabet_episodes: the set has 4 images but 3 drawers");
}

#else

TEST_CASE("Omniglot: without libpng the loader is a clear error") {
    CHECK_THROWS_AS((void)load_omniglot(std::filesystem::temp_directory_path() / "siamese_no_such_omniglot"), io_error);
}

#endif
