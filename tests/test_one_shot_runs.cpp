// SPDX-License-Identifier: MIT
#include "omniglot_tree.hpp"
#include "temp_dir.hpp"
#include "test_util.hpp"

#include <siamese/data/omniglot.hpp>
#include <siamese/data/omniglot_episodes.hpp>
#include <siamese/data/one_shot_runs.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace siamese;
using namespace siamese::data;
namespace fs = std::filesystem;

#if defined(SIAMESE_HAS_PNG) && SIAMESE_HAS_PNG

namespace {

using test::TempDir;

std::string two(std::size_t v) {
    std::string s = std::to_string(v);
    if (s.size() < 2) s.insert(s.begin(), '0');
    return s;
}

/// Writes episodes of a background set as runs in Lake et al.'s format: run k holds the
/// episode's supports as training/classNN.png and its queries, shuffled by a fixed rotation, as
/// test/itemNN.png, with class_labels.txt naming each item's class.
void write_runs(const fs::path& root, const fs::path& background, const Omniglot& set,
                const std::vector<OneShotEpisode>& episodes) {
    for (std::size_t r = 0; r < episodes.size(); ++r) {
        const std::string run = "run" + two(r + 1);
        fs::create_directories(root / run / "training");
        fs::create_directories(root / run / "test");
        std::ofstream labels(root / run / "class_labels.txt");
        const auto& e = episodes[r];
        for (std::size_t k = 0; k < e.supports.size(); ++k) {
            fs::copy_file(background / set.files[static_cast<std::size_t>(e.supports[k])],
                          root / run / "training" / ("class" + two(k + 1) + ".png"));
        }
        const std::size_t n = e.queries.size();
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t q = (i + 2) % n;  // items in another order than the classes
            fs::copy_file(background / set.files[static_cast<std::size_t>(e.queries[q])],
                          root / run / "test" / ("item" + two(i + 1) + ".png"));
            labels << run << "/test/item" << two(i + 1) << ".png " << run << "/training/class"
                   << two(static_cast<std::size_t>(e.answers[q]) + 1) << ".png\n";
        }
    }
}

using test::io_error_of;

/// Three runs of 4 classes made from a background tree, under root/runs.
struct Fixture {
    TempDir dir;
    fs::path runs;
    Omniglot set;
    std::vector<OneShotEpisode> episodes;
    Fixture() {
        // A "background" of one alphabet: 5 characters by 3 drawers, 6x6 drawings.
        test::write_omniglot_tree(dir.path / "background", {{"Alpha", 5}}, 3, 6);
        set = load_omniglot(dir.path / "background", {.side = 6});
        episodes = within_alphabet_episodes(set, {.ways = 4, .episodes = 3, .seed = 3});
        runs = dir.path / "runs";
        write_runs(runs, dir.path / "background", set, episodes);
    }
    void rewrite_labels(const std::string& run, const std::string& text) const {
        std::ofstream(runs / run / "class_labels.txt", std::ios::trunc) << text;
    }
};

}  // namespace

TEST_CASE("One-shot runs: runs written from background images load with their answers") {
    Fixture f;
    const auto runs = load_one_shot_runs(f.runs, {.invert = true});
    REQUIRE(runs.size() == 3);
    for (std::size_t r = 0; r < 3; ++r) {
        const auto& run = runs[r];
        CHECK(run.name == "run0" + std::to_string(r + 1));
        CHECK(run.images.size() == 8);
        CHECK(run.images.image_shape() == Shape{1, 6, 6});
        CHECK(run.episode.supports == std::vector<index_t>{0, 1, 2, 3});
        CHECK(run.episode.queries == std::vector<index_t>{4, 5, 6, 7});
        CHECK(run.files[0] == run.name + "/training/class01.png");
        CHECK(run.files[4] == run.name + "/test/item01.png");
        // Each item's answer is the class image of its own character, as in the episode written.
        const auto& e = f.episodes[r];
        for (std::size_t i = 0; i < 4; ++i) {
            const std::size_t q = (i + 2) % 4;
            CHECK(run.episode.answers[i] == e.answers[q]);
            CHECK(run.images.label(run.episode.queries[i]) == run.episode.answers[i]);
            // The pixels are the background image's, inverted like the Omniglot loader's.
            const auto original = f.set.images.image(e.queries[q]);
            const auto loaded = run.images.image(run.episode.queries[i]);
            CHECK(std::equal(original.begin(), original.end(), loaded.begin()));
        }
    }
}

TEST_CASE("One-shot runs: a single run folder, CRLF lines, blank lines and resizing") {
    Fixture f;
    std::string text;
    {
        std::ifstream in(f.runs / "run02" / "class_labels.txt");
        std::string line;
        while (std::getline(in, line)) text += line + "\r\n\r\n";
    }
    f.rewrite_labels("run02", text);
    const auto one = load_one_shot_runs(f.runs / "run02", {.height = 3, .width = 3});
    REQUIRE(one.size() == 1);
    CHECK(one[0].name == "run02");
    CHECK(one[0].episode.queries.size() == 4);
    CHECK(one[0].images.image_shape() == Shape{1, 3, 3});
    // The single run named with a trailing separator is the same run.
    const auto slash = load_one_shot_runs(fs::path((f.runs / "run02").string() + "/"));
    REQUIRE(slash.size() == 1);
    CHECK(slash[0].name == "run02");
    CHECK(slash[0].episode.queries.size() == 4);
}

TEST_CASE("One-shot runs: a byte-order mark before the first line is read past") {
    // As Windows editors save: the mark made the first query an invisible mismatch.
    Fixture f;
    std::ifstream in(f.runs / "run01" / "class_labels.txt");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    f.rewrite_labels("run01", "\xEF\xBB\xBF" + text);
    const auto runs = load_one_shot_runs(f.runs);
    REQUIRE(runs.size() == 3);
    CHECK(runs[0].episode.queries.size() == 4);
}

TEST_CASE("One-shot runs: a file named like a run is an error, not a run left out") {
    Fixture f;
    fs::remove_all(f.runs / "run03");
    std::ofstream(f.runs / "run03") << "not a run";
    CHECK(io_error_of([&] { (void)load_one_shot_runs(f.runs); }).find("run03: not a folder, expected a one-shot run") !=
          std::string::npos);
    fs::remove(f.runs / "run03");
    std::ofstream(f.runs / "runs_notes.txt") << "other files named run... are not runs";
    CHECK(load_one_shot_runs(f.runs).size() == 2);
}

TEST_CASE("One-shot runs: malformed lines and bad paths are errors naming the file and line") {
    Fixture f;
    const auto labels = (f.runs / "run01" / "class_labels.txt").string();
    auto message = [&] { return io_error_of([&] { (void)load_one_shot_runs(f.runs); }); };

    f.rewrite_labels("run01", "run01/test/item01.png\n");
    CHECK(message().find(labels + ": line 1: expected two paths") == 0);
    // A CRLF line end is no part of the line a message shows.
    f.rewrite_labels("run01", "run01/test/item01.png\r\n");
    CHECK(message() == labels +
                           ": line 1: expected two paths, 'run01/test/itemXX.png run01/training/classYY.png', found "
                           "'run01/test/item01.png'");
    f.rewrite_labels("run01", "run01/test/item01.png run01/training/class01.png extra\n");
    CHECK(message().find("line 1: expected two paths") != std::string::npos);
    f.rewrite_labels(
        "run01",
        "run01/test/item01.png run01/training/class01.png\nrun02/test/item02.png run01/training/class01.png\n");
    CHECK(message().find("line 2: the query 'run02/test/item02.png' is not an image in run01/test/") !=
          std::string::npos);
    f.rewrite_labels("run01", "run01/test/item01.png run01/test/item02.png\n");
    CHECK(message().find("line 1: the class 'run01/test/item02.png' is not an image in run01/training/") !=
          std::string::npos);
    f.rewrite_labels("run01", "run01/test/item09.png run01/training/class01.png\n");
    CHECK(message().find("line 1: no such file: ") != std::string::npos);
    f.rewrite_labels("run01", "run01/test/item01.png run01/training/class07.png\n");
    CHECK(message().find("class07.png") != std::string::npos);
    // A file of training/ that is not a PNG image is no class, even one sorting before the classes.
    std::ofstream(f.runs / "run01" / "training" / "aaa.txt") << "notes";
    f.rewrite_labels("run01", "run01/test/item01.png run01/training/aaa.txt\n");
    CHECK(message().find("line 1: the class 'run01/training/aaa.txt' is not a PNG image") != std::string::npos);
    fs::remove(f.runs / "run01" / "training" / "aaa.txt");
    f.rewrite_labels(
        "run01",
        "run01/test/item01.png run01/training/class01.png\nrun01/test/item01.png run01/training/class02.png\n");
    CHECK(message().find("line 2: the query 'run01/test/item01.png' is listed twice (first on line 1)") !=
          std::string::npos);
    f.rewrite_labels("run01", "run01/test/item01.png run01/training/class01.png\n");
    CHECK(message().find("the test item run01/test/item02.png has no line") != std::string::npos);
    f.rewrite_labels("run01", "\n\n");
    CHECK(message().find("no test items listed") != std::string::npos);
    // A UTF-16 file (Notepad's "Unicode"): its NUL bytes went into the message raw, in a complaint
    // about the query's path.
    std::string utf16 = "\xff\xfe";
    for (const char c : std::string("run01/test/item01.png run01/training/class01.png\n")) {
        utf16.push_back(c);
        utf16.push_back('\0');
    }
    f.rewrite_labels("run01", utf16);
    CHECK(message() == labels +
                           ": a UTF-16 file (it starts with UTF-16's byte-order mark); save it as plain text "
                           "(ASCII or UTF-8)");
    // Big-endian UTF-16 marks itself with FE FF.
    std::string utf16_be = "\xfe\xff";
    for (const char c : std::string("run01/test/item01.png run01/training/class01.png\n")) {
        utf16_be.push_back('\0');
        utf16_be.push_back(c);
    }
    f.rewrite_labels("run01", utf16_be);
    CHECK(message() == labels +
                           ": a UTF-16 file (it starts with UTF-16's byte-order mark); save it as plain text "
                           "(ASCII or UTF-8)");
    // Control bytes are shown escaped: a terminal took the raw ESC as the start of a command.
    f.rewrite_labels("run01", "run01/test/item01.png run01/training/class01.png \x1b[2J\n");
    CHECK(message().find("found 'run01/test/item01.png run01/training/class01.png \\x1b[2J'") != std::string::npos);
    f.rewrite_labels("run01", "run01/test/item\x1b[2J.png run01/training/class01.png\n");
    CHECK(message().find("no such file: '" + (f.runs / "run01/test/item\\x1b[2J.png").string() + "'") !=
          std::string::npos);
}

TEST_CASE("One-shot runs: missing folders, files and odd images are errors naming them") {
    Fixture f;
    auto message = [&] { return io_error_of([&] { (void)load_one_shot_runs(f.runs); }); };
    CHECK(io_error_of([&] { (void)load_one_shot_runs(f.dir.path / "nowhere"); }).find("nowhere: no such folder") !=
          std::string::npos);
    fs::create_directories(f.dir.path / "empty");
    CHECK(io_error_of([&] { (void)load_one_shot_runs(f.dir.path / "empty"); }).find("no one-shot runs") !=
          std::string::npos);

    fs::rename(f.runs / "run03" / "class_labels.txt", f.runs / "run03" / "labels.txt");
    CHECK(message().find("run03/class_labels.txt: no such file") != std::string::npos);
    fs::rename(f.runs / "run03" / "labels.txt", f.runs / "run03" / "class_labels.txt");

    // A test image that is not a PNG, then one of another size.
    std::ofstream(f.runs / "run02" / "test" / "item03.png", std::ios::trunc) << "garbage";
    CHECK(message().find("run02/test/item03.png: not a PNG image") != std::string::npos);
    write_png(f.runs / "run02" / "test" / "item03.png", GrayImage{2, 2, {0, 0, 0, 0}});
    CHECK(message().find("item03.png: image is 2x2, the run's first image is 6x6 (the images of a run must share one "
                         "size") != std::string::npos);
    // Only the width differs (6 high, 5 wide): as much another size.
    write_png(f.runs / "run02" / "test" / "item03.png", GrayImage{6, 5, std::vector<std::uint8_t>(30)});
    CHECK(message().find("item03.png: image is 5x6, the run's first image is 6x6") != std::string::npos);
    // Only the height differs (5 high, 6 wide): as much another size.
    write_png(f.runs / "run02" / "test" / "item03.png", GrayImage{5, 6, std::vector<std::uint8_t>(30)});
    CHECK(message().find("item03.png: image is 6x5, the run's first image is 6x6") != std::string::npos);
    // Resizing to a common size accepts it.
    CHECK(load_one_shot_runs(f.runs, {.height = 4, .width = 4}).size() == 3);
    // A folder named like an image is not skipped: class_labels.txt may never name it.
    fs::create_directories(f.runs / "run02" / "test" / "item99.png");
    CHECK(message().find("run02/test/item99.png: a folder, expected a PNG image") != std::string::npos);
    fs::remove(f.runs / "run02" / "test" / "item99.png");

    fs::remove_all(f.runs / "run01" / "training");
    CHECK(message().find("run01/training: no such folder") != std::string::npos);
}

TEST_CASE("One-shot runs: a run needs at least two class images") {
    Fixture f;
    for (const char* c : {"class02.png", "class03.png", "class04.png"}) fs::remove(f.runs / "run02" / "training" / c);
    const auto message = io_error_of([&] { (void)load_one_shot_runs(f.runs); });
    CHECK(message ==
          (f.runs / "run02" / "training").string() + ": 1 class image(s); a run needs at least 2 candidates");
}

TEST_CASE("One-shot runs: a run folder that is a broken symbolic link is an error, not a run left out") {
    Fixture f;
    fs::rename(f.runs / "run03", f.dir.path / "run03");
    fs::create_directory_symlink(f.dir.path / "run03", f.runs / "run03");
    CHECK(load_one_shot_runs(f.runs).size() == 3);  // a link to a run folder is a run
    fs::remove_all(f.dir.path / "run03");           // the link now leads nowhere
    CHECK(io_error_of([&] { (void)load_one_shot_runs(f.runs); }).find("run03: broken symbolic link") !=
          std::string::npos);
}

#endif
