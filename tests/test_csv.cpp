// SPDX-License-Identifier: MIT
#include "temp_dir.hpp"
#include "test_util.hpp"

#include <siamese/data/csv.hpp>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

using namespace siamese;
using namespace siamese::data;
namespace fs = std::filesystem;

namespace {

using test::TempDir;

using test::require_io_error;

/// A tutorial-format row: label, then 784 pixels (k * 7 + label) mod 256.
std::string mnist_row(int label) {
    std::string row = std::to_string(label);
    for (int k = 0; k < 784; ++k) {
        row += ',';
        row += std::to_string((k * 7 + label) % 256);
    }
    return row;
}

}  // namespace

TEST_CASE("CSV: the tutorial's 28x28 format by default") {
    TempDir dir;
    const auto path = dir.write("train.csv", mnist_row(5) + "\n" + mnist_row(0) + "\n" + mnist_row(9) + "\n");
    const LabelledImages set = load_csv(path);
    REQUIRE(set.size() == 3);
    CHECK(set.image_shape() == Shape{1, 28, 28});
    CHECK(set.classes() == std::vector<label_t>{0, 5, 9});
    CHECK(set.label(2) == 9);
    for (int k = 0; k < 784; ++k) REQUIRE(set.image(2)[static_cast<std::size_t>(k)] == (k * 7 + 9) % 256);
}

TEST_CASE("CSV: \\r\\n line endings, no final newline, blanks around fields, any integer labels") {
    TempDir dir;
    const auto path = dir.write("small.csv", "3,0,1,2,255\r\n-7, 10 ,20,\t30,40\t\r\n1000000,255,0,0,+1");
    const LabelledImages set = load_csv(path, Shape{2, 2});
    REQUIRE(set.size() == 3);
    CHECK(set.image_shape() == Shape{1, 2, 2});
    CHECK(std::vector<label_t>(set.labels().begin(), set.labels().end()) == std::vector<label_t>{3, -7, 1000000});
    CHECK(std::vector<std::uint8_t>(set.image(0).begin(), set.image(0).end()) ==
          std::vector<std::uint8_t>{0, 1, 2, 255});
    CHECK(std::vector<std::uint8_t>(set.image(1).begin(), set.image(1).end()) ==
          std::vector<std::uint8_t>{10, 20, 30, 40});
    CHECK(set.image(2)[3] == 1);
}

TEST_CASE("CSV: configurable [C, H, W]; blank lines at the end are fine") {
    TempDir dir;
    const auto path = dir.write("rgb.csv", "1,1,2,3,4,5,6\n2,6,5,4,3,2,1\n\n\r\n");
    const LabelledImages set = load_csv(path, Shape{3, 1, 2});
    CHECK(set.size() == 2);
    CHECK(set.image_shape() == Shape{3, 1, 2});
    test::require_shape_error([&] { (void)load_csv(path, Shape{0, 2}); }, {"[0, 2]"});
}

TEST_CASE("CSV: a non-numeric field names file, line and column") {
    TempDir dir;
    const auto path = dir.write("bad.csv", "1,0,0,0,0\n2,0,ab,0,0\n");
    require_io_error(
        [&] {
            (void)load_csv(path, Shape{2, 2});
        },
        {path.string(), "line 2", "column 3", "expected a pixel value 0..255", "'ab'"});
    const auto frac = dir.write("frac.csv", "1,0,0,0,0\r\n2,0,0,0,1.5\r\n");
    require_io_error([&] { (void)load_csv(frac, Shape{2, 2}); }, {"line 2", "column 5", "'1.5'"});
    const auto blank = dir.write("blank.csv", "1,0,,0,0\n");
    require_io_error([&] { (void)load_csv(blank, Shape{2, 2}); }, {"line 1", "column 3", "found ''"});
    const auto label = dir.write("label.csv", "1,0,0,0,0\nseven,0,0,0,0\n");
    require_io_error([&] { (void)load_csv(label, Shape{2, 2}); }, {"line 2", "column 1", "integer label", "'seven'"});
    // Only the first line can be a header: a word on a later line is not called one.
    CHECK(test::io_error_of([&] { (void)load_csv(label, Shape{2, 2}); }).find("header") == std::string::npos);
}

TEST_CASE("CSV: a header row is reported as such") {
    TempDir dir;
    const auto path = dir.write("header.csv", "label,p0,p1,p2,p3\n1,0,0,0,0\n");
    require_io_error([&] { (void)load_csv(path, Shape{2, 2}); }, {"line 1", "column 1", "'label'", "header row"});
}

TEST_CASE("CSV: quoted fields, stray carriage returns and UTF-16 are named as they are") {
    TempDir dir;
    // A quoted label was blamed on a header row that is not there.
    const auto quoted = dir.write("quoted.csv", "\"1\",0,0,0,0\n");
    require_io_error([&] { (void)load_csv(quoted, Shape{2, 2}); }, {"'\"1\"'", "(fields must not be quoted)"});
    // \r\r\n: the carriage return went into the message raw, and the terminal overwrote the line.
    const auto doubled = dir.write("doubled.csv", "1,0,0,0,0\r\r\n9\r\r\n");
    const std::string message = test::io_error_of([&] { (void)load_csv(doubled, Shape{2, 2}); });
    CHECK(message.find('\r') == std::string::npos);
    CHECK(message.find("column 5: expected a pixel value 0..255, found '0\\r'") != std::string::npos);
    // UTF-16 (a spreadsheet's "Unicode text"): NUL bytes reached what().
    const auto wide = dir.write("wide.csv", std::string("\xff\xfe"
                                                        "1\0,\0"
                                                        "0\0,\0"
                                                        "0\0,\0"
                                                        "0\0,\0"
                                                        "0\0\n\0",
                                                        22));
    const std::string wide_message = test::io_error_of([&] { (void)load_csv(wide, Shape{2, 2}); });
    CHECK(wide_message.find('\0') == std::string::npos);
    CHECK(wide_message.find("'\\xff\\xfe1\\x00'") != std::string::npos);
}

TEST_CASE("CSV: pixels outside 0..255") {
    TempDir dir;
    const auto high = dir.write("high.csv", "1,0,0,0,0\n1,0,0,0,0\n1,0,0,256,0\n");
    require_io_error(
        [&] {
            (void)load_csv(high, Shape{2, 2});
        },
        {high.string(), "line 3", "column 4", "pixel value 256 outside 0..255"});
    const auto low = dir.write("low.csv", "1,-1,0,0,0\n");
    require_io_error([&] { (void)load_csv(low, Shape{2, 2}); }, {"line 1", "column 2", "pixel value -1"});
}

TEST_CASE("CSV: a row with the wrong number of fields") {
    TempDir dir;
    const auto few = dir.write("few.csv", "1,0,0,0,0\n1,0,0,0\n");
    require_io_error(
        [&] {
            (void)load_csv(few, Shape{2, 2});
        },
        {few.string(), "line 2", "expected 5 fields (a label and 4 pixel values), found 4"});
    const auto many = dir.write("many.csv", "1,0,0,0,0,0\r\n");
    require_io_error([&] { (void)load_csv(many, Shape{2, 2}); }, {"line 1", "found 6"});
    const auto trailing_comma = dir.write("comma.csv", "1,0,0,0,0,\n");
    require_io_error([&] { (void)load_csv(trailing_comma, Shape{2, 2}); }, {"line 1", "found 6"});
    // The default format expects 785 fields.
    const auto small = dir.write("small.csv", "1,0,0,0,0\n");
    require_io_error([&] { (void)load_csv(small); }, {"expected 785 fields"});
}

TEST_CASE("CSV: a blank line followed by more data is an error") {
    TempDir dir;
    const auto path = dir.write("gap.csv", "1,0,0,0,0\n\n2,0,0,0,0\n");
    require_io_error([&] { (void)load_csv(path, Shape{2, 2}); }, {path.string(), "line 2", "empty line"});
    // Of several blank lines, the first is named.
    const auto gaps = dir.write("gaps.csv", "1,0,0,0,0\n\n \n2,0,0,0,0\n");
    require_io_error([&] { (void)load_csv(gaps, Shape{2, 2}); }, {"line 2: empty line before more data at line 4"});
}

TEST_CASE("CSV: empty file, missing file and a directory") {
    TempDir dir;
    const auto empty = dir.write("empty.csv", "");
    require_io_error([&] { (void)load_csv(empty); }, {empty.string(), "empty file", "784 pixel values"});
    const auto blank = dir.write("blank.csv", "\n\r\n");
    require_io_error([&] { (void)load_csv(blank); }, {blank.string(), "empty file"});
    require_io_error([&] { (void)load_csv(dir.path / "missing.csv"); }, {"missing.csv", "no such file"});
    require_io_error([&] { (void)load_csv(dir.path); }, {dir.path.string(), "is a directory"});
}

TEST_CASE("CSV: a FIFO or a device is refused before any read (it could block or never end)") {
    TempDir dir;
    const auto fifo = dir.path / "pipe.csv";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);  // no writer: opening it for reading would block
    require_io_error([&] { (void)load_csv(fifo); }, {fifo.string(), "not a regular file"});
    require_io_error([&] { (void)load_csv("/dev/zero"); }, {"/dev/zero", "not a regular file"});
}

TEST_CASE("CSV: a signed sign, a label beyond 64 bits, and a byte-order mark") {
    TempDir dir;
    const auto plus_minus = dir.write("pm.csv", "+-7,0,0,0,0\n");
    require_io_error(
        [&] {
            (void)load_csv(plus_minus, Shape{2, 2});
        },
        {"line 1", "column 1", "integer label", "'+-7'"});
    const auto pixel = dir.write("pixel.csv", "1,0,+-0,0,0\n");
    require_io_error([&] { (void)load_csv(pixel, Shape{2, 2}); }, {"column 3", "expected a pixel value", "'+-0'"});
    const auto huge = dir.write("huge.csv", "1,0,0,0,0\n99999999999999999999,0,0,0,0\n");
    require_io_error(
        [&] {
            (void)load_csv(huge, Shape{2, 2});
        },
        {"line 2", "column 1", "'99999999999999999999'", "does not fit a 64-bit integer"});
    const auto big_pixel = dir.write("big_pixel.csv", "1,0,0,99999999999999999999,0\n");
    require_io_error([&] { (void)load_csv(big_pixel, Shape{2, 2}); }, {"column 4", "outside 0..255"});
    // Spreadsheet programs often start a CSV file with a UTF-8 byte-order mark; it is not data.
    const auto bom = dir.write("bom.csv",
                               "\xEF\xBB\xBF"
                               "4,1,2,3,4\n5,0,0,0,0\n");
    const LabelledImages set = load_csv(bom, Shape{2, 2});
    REQUIRE(set.size() == 2);
    CHECK(set.label(0) == 4);
    CHECK(set.image(0)[0] == 1);
    // Only at the very start of the file.
    const auto late_bom = dir.write("late_bom.csv",
                                    "4,1,2,3,4\n\xEF\xBB\xBF"
                                    "5,0,0,0,0\n");
    require_io_error([&] { (void)load_csv(late_bom, Shape{2, 2}); }, {"line 2", "column 1", "integer label"});
}
