// SPDX-License-Identifier: MIT
// The examples' image reader: PNG chunks that run past the end of the file are refused before
// stb_image sizes a buffer by them.
#include "image_file.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace {

const std::string signature = "\x89PNG\r\n\x1a\n";

// One chunk: big-endian length, type, data, and a CRC of zeros (the walk does not check it).
std::string chunk(const std::string& type, const std::string& data, std::uint32_t declared) {
    std::string c;
    for (int shift = 24; shift >= 0; shift -= 8) c.push_back(static_cast<char>(declared >> shift & 0xff));
    return c + type + data + std::string(4, '\0');
}

std::string chunk(const std::string& type, const std::string& data) {
    return chunk(type, data, static_cast<std::uint32_t>(data.size()));
}

// An IHDR of 13 bytes: the walk only needs its length to be right.
const std::string any_header = chunk("IHDR", std::string(13, '\1'));

// The file tests/fuzz/fuzz_image.cpp found (stb_image asked for 2 GB to read it): a second IDAT
// declares 1140850704 bytes where one is left.
std::string forged_png(const std::string& header) {
    return signature + header + chunk("IDAT", std::string(16, 'x')) + chunk("IDAT", "12345", 1140850704u).substr(0, 13);
}

std::string error_of(const std::string& bytes) {
    try {
        examples::detail::check_png_chunks(bytes, "pic.png");
    } catch (const siamese::io_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("check_png_chunks: whole chunks up to IEND pass, bytes after IEND are not read") {
    CHECK(error_of(signature + any_header + chunk("IDAT", "xyz") + chunk("IEND", "")).empty());
    CHECK(error_of(signature + any_header + chunk("IEND", "") + "trailing").empty());
    CHECK(error_of(signature).empty());  // no chunk to trust: stb's own error follows
}

TEST_CASE("check_png_chunks: a chunk longer than the bytes left is refused, naming it, its offset and both sizes") {
    CHECK(error_of(forged_png(any_header)) ==
          "pic.png: PNG: chunk 'IDAT' at offset 61 declares 1140850704 bytes, but the file has 1 left "
          "(truncated or corrupt)");
    // One byte short, and the largest length a chunk can declare.
    CHECK(error_of(signature + chunk("IHDR", "abcd", 5)).find("declares 5 bytes, but the file has 4 left") !=
          std::string::npos);
    CHECK(error_of(signature + chunk("IHDR", "", 0xffffffffu)).find("declares 4294967295 bytes") != std::string::npos);
    // A type of control bytes is quoted, not printed raw.
    CHECK(error_of(signature + chunk(std::string("\r\0\1A", 4), "", 9)).find("chunk '\\r\\x00\\x01A'") !=
          std::string::npos);
}

TEST_CASE("check_png_chunks: bytes that end inside a chunk's length, type or CRC are refused") {
    CHECK(error_of(signature + std::string(3, '\0')) ==
          "pic.png: PNG: truncated: 3 bytes at offset 8 where a chunk needs at least 12");
    const std::string cut = signature + any_header + chunk("IEND", "").substr(0, 10);
    CHECK(error_of(cut) == "pic.png: PNG: truncated: 10 bytes at offset 33 where a chunk needs at least 12");
}

TEST_CASE("load_gray_image: the forged PNG is an io_error naming the file, whichever decoder reads it") {
    siamese::test::TempDir dir;
    const auto path = dir / "forged.png";
    // A real header this time (3 x 261 pixels, 8-bit gray), so that a decoder gets as far as the IDAT.
    const std::string header = chunk("IHDR", std::string("\0\0\0\3\0\0\1\5\x08\0\0\0\0", 13));
    std::ofstream(path, std::ios::binary) << forged_png(header);
    try {
        (void)examples::load_gray_image(path);
        FAIL("the forged PNG was read");
    } catch (const siamese::io_error& e) {
        CHECK(std::string(e.what()).find(path.string()) == 0);
    }
}
