// SPDX-License-Identifier: MIT
#include "largest_allocation.hpp"
#include "temp_dir.hpp"
#include "test_util.hpp"

#include <siamese/data/png.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <vector>

using namespace siamese;
using namespace siamese::data;
namespace fs = std::filesystem;

namespace {

// ------------------------------------------------------------------ a PNG writer for any format
// Built chunk by chunk, with stored (uncompressed) deflate blocks, so the tests can produce every
// colour type and bit depth, and break any byte, without a compressor.

std::uint32_t crc32(const std::string& bytes) {
    std::uint32_t c = 0xffffffffu;
    for (const char ch : bytes) {
        c ^= static_cast<unsigned char>(ch);
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

std::string be32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string chunk(const std::string& type, const std::string& data) {
    return be32(static_cast<std::uint32_t>(data.size())) + type + data + be32(crc32(type + data));
}

/// A zlib stream of stored blocks holding `raw`.
std::string zlib_stored(const std::string& raw) {
    std::string z = "\x78\x01";
    std::size_t pos = 0;
    do {
        const std::size_t n = std::min<std::size_t>(65535, raw.size() - pos);
        z += static_cast<char>(pos + n == raw.size() ? 1 : 0);
        z += static_cast<char>(n & 0xff);
        z += static_cast<char>(n >> 8);
        z += static_cast<char>(~n & 0xff);
        z += static_cast<char>((~n >> 8) & 0xff);
        z += raw.substr(pos, n);
        pos += n;
    } while (pos < raw.size());
    std::uint32_t a = 1, b = 0;
    for (const char ch : raw) {
        a = (a + static_cast<unsigned char>(ch)) % 65521;
        b = (b + a) % 65521;
    }
    return z + be32((b << 16) | a);
}

/// A PNG whose filtered scanlines (each starting with its filter byte) are `raw`.
std::string make_png(std::uint32_t width, std::uint32_t height, int depth, int colour, const std::string& raw,
                     const std::string& before_data = "", int interlace = 0) {
    std::string ihdr = be32(width) + be32(height);
    ihdr += static_cast<char>(depth);
    ihdr += static_cast<char>(colour);
    ihdr += std::string("\0\0", 2);
    ihdr += static_cast<char>(interlace);
    return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + before_data + chunk("IDAT", zlib_stored(raw)) +
           chunk("IEND", "");
}

/// Rows of 8-bit samples, filter type 0 (none) on each.
std::string rows(const std::vector<std::vector<int>>& samples) {
    std::string raw;
    for (const auto& row : samples) {
        raw += '\0';
        for (const int v : row) raw += static_cast<char>(v);
    }
    return raw;
}

GrayImage decode(const std::string& png, const PngOptions& options = {}) { return decode_png(png, "mem.png", options); }

/// A 3x2 8-bit gray image: 0 10 20 / 200 250 255.
std::string gray8() { return make_png(3, 2, 8, 0, rows({{0, 10, 20}, {200, 250, 255}})); }

using test::TempDir;

using test::io_error_of;

std::vector<std::uint8_t> px(std::initializer_list<int> v) { return {v.begin(), v.end()}; }

}  // namespace

// ------------------------------------------------------------------------------- resize_area

TEST_CASE("resize_area: halving averages 2x2 blocks, rounding half up") {
    const auto src = px({0, 2, 10, 20,    //
                         4, 1, 30, 40,    //
                         255, 255, 0, 0,  //
                         255, 254, 0, 1});
    std::vector<std::uint8_t> dst(4);
    resize_area(src, 4, 4, dst, 2, 2);
    // (0+2+4+1)/4 = 1.75 -> 2; (10+20+30+40)/4 = 25; (255*3+254)/4 = 254.75 -> 255; 1/4 -> 0
    CHECK(dst == px({2, 25, 255, 0}));
    const auto half = px({1, 2, 0, 0});  // 3/4 = 0.75 -> 1; 1/4 rounds down, 2/4 = 0.5 rounds up
    std::vector<std::uint8_t> one(1);
    resize_area(half, 2, 2, one, 1, 1);
    CHECK(one[0] == 1);
    resize_area(px({1, 1, 0, 0}), 2, 2, one, 1, 1);
    CHECK(one[0] == 1);  // 0.5 -> 1
}

TEST_CASE("resize_area: 3 -> 2 weighs the cut pixel by the fraction each side covers") {
    // Output 0 covers source [0, 1.5): pixel 0 whole and half of pixel 1; output 1 the rest.
    std::vector<std::uint8_t> dst(2);
    resize_area(px({90, 30, 0}), 1, 3, dst, 1, 2);
    CHECK(dst[0] == 70);  // (90 + 0.5 * 30) / 1.5
    CHECK(dst[1] == 10);  // (0.5 * 30 + 0) / 1.5
    // The same along rows.
    resize_area(px({90, 30, 0}), 3, 1, dst, 2, 1);
    CHECK(dst == px({70, 10}));
}

TEST_CASE("resize_area: 105 -> 35 is an exact 3x3 block mean, and a uniform image stays uniform") {
    std::vector<std::uint8_t> src(105 * 105), dst(35 * 35);
    for (int y = 0; y < 105; ++y)
        for (int x = 0; x < 105; ++x)
            src[static_cast<std::size_t>(y * 105 + x)] = static_cast<std::uint8_t>((x / 3 + 7 * (y / 3)) % 256);
    resize_area(src, 105, 105, dst, 35, 35);
    for (int y = 0; y < 35; ++y)
        for (int x = 0; x < 35; ++x) CHECK(dst[static_cast<std::size_t>(y * 35 + x)] == (x + 7 * y) % 256);
    std::vector<std::uint8_t> flat(105 * 105, 77), out(52 * 52);
    resize_area(flat, 105, 105, out, 52, 52);
    for (const auto v : out) CHECK(v == 77);
}

TEST_CASE("resize_area: identity, enlarging and non-square sizes") {
    const auto src = px({1, 2, 3, 4, 5, 6});  // 2 rows x 3 columns
    std::vector<std::uint8_t> same(6), big(12), tall(2);
    resize_area(src, 2, 3, same, 2, 3);
    CHECK(same == src);
    resize_area(px({10, 20}), 1, 2, big, 3, 4);  // each source pixel repeated
    CHECK(big == px({10, 10, 20, 20, 10, 10, 20, 20, 10, 10, 20, 20}));
    resize_area(src, 2, 3, tall, 2, 1);
    CHECK(tall == px({2, 5}));
    const GrayImage g{2, 3, src};
    const auto r = resize_area(g, 1, 1);
    CHECK((r.height == 1 && r.width == 1 && r.pixels[0] == 4));  // 21 / 6 = 3.5 -> 4
}

TEST_CASE("resize_area: bad sizes are rejected") {
    std::vector<std::uint8_t> dst(4);
    // A buffer of the wrong length is a shape error, as everywhere in the library.
    CHECK_THROWS_WITH_AS(resize_area(px({1, 2, 3}), 2, 2, dst, 2, 2),
                         "resize_area: buffers of 3 and 4 pixels for 2x2 -> 2x2", siamese::shape_error);
    CHECK_THROWS_AS(resize_area(px({1, 2, 3, 4}), 2, 2, dst, 0, 4), std::invalid_argument);
    CHECK_THROWS_AS(resize_area(px({1, 2, 3, 4}), 2, 2, dst, 1, 3), siamese::shape_error);
    // Past png_max_pixels: 2^32 x 2^32 overflowed h * w, passed the size check and never ended.
    const std::vector<std::uint8_t> one{7};
    std::vector<std::uint8_t> none;
    CHECK_THROWS_WITH_AS(resize_area(one, 1, 1, none, index_t{1} << 32, index_t{1} << 32),
                         doctest::Contains("resize_area: 1x1 -> 4294967296x4294967296 exceeds the 67108864 pixels"),
                         std::invalid_argument);
    // png_max_pixels itself is allowed (8192 x 8192 = 2^26), one row more is not.
    std::vector<std::uint8_t> largest(std::size_t{1} << 26);
    CHECK_NOTHROW(resize_area(one, 1, 1, largest, 8192, 8192));
    CHECK(largest.back() == 7);
    CHECK_THROWS_WITH_AS(resize_area(one, 1, 1, largest, 8193, 8192), doctest::Contains("exceeds the 67108864 pixels"),
                         std::invalid_argument);
}

#if defined(SIAMESE_HAS_PNG) && SIAMESE_HAS_PNG

// ----------------------------------------------------------------------------- decoding PNGs

TEST_CASE("PNG: 8-bit gray decodes exactly; invert maps v to 255 - v") {
    const auto g = decode(gray8());
    CHECK(g.height == 2);
    CHECK(g.width == 3);
    CHECK(g.pixels == px({0, 10, 20, 200, 250, 255}));
    const auto inv = decode(gray8(), {.invert = true});
    CHECK(inv.pixels == px({255, 245, 235, 55, 5, 0}));
}

TEST_CASE("PNG: 1-bit gray (Omniglot's format): black ink 0, white paper 255; inverted, ink is high") {
    // 10 pixels a row: bits are packed MSB first, rows padded to whole bytes.
    // row 0: 1111111110 -> 0xff 0x80; row 1: 0000000001 -> 0x00 0x40
    const std::string raw = std::string("\0\xff\x80", 3) + std::string("\0\x00\x40", 3);
    const auto png = make_png(10, 2, 1, 0, raw);
    const auto g = decode(png);
    REQUIRE(g.pixels.size() == 20);
    for (int x = 0; x < 10; ++x) {
        CHECK(g.pixels[static_cast<std::size_t>(x)] == (x < 9 ? 255 : 0));
        CHECK(g.pixels[static_cast<std::size_t>(10 + x)] == (x == 9 ? 255 : 0));
    }
    const auto ink = decode(png, {.invert = true});
    CHECK(ink.pixels[9] == 255);
    CHECK(ink.pixels[0] == 0);
}

TEST_CASE("PNG: 16-bit gray, RGB, palette and gray+alpha all become 8-bit gray") {
    // 16-bit: big-endian samples 0x0000, 0x4000, 0x8000, 0xc000 and 0xffff, each scaled to 8 bits
    // as it stands (not read as linear light and re-encoded, which made 0x8000 read 186).
    const auto g16 = decode(make_png(5, 1, 16, 0, std::string("\0\x00\x00\x40\x00\x80\x00\xc0\x00\xff\xff", 11)));
    CHECK(g16.pixels == px({0, 64, 128, 191, 255}));
    // RGB: black, white, then pure green brighter than pure blue (luminance weights).
    const auto rgb = decode(make_png(4, 1, 8, 2, rows({{0, 0, 0, 255, 255, 255, 0, 255, 0, 0, 0, 255}})));
    CHECK(rgb.pixels[0] == 0);
    CHECK(rgb.pixels[1] == 255);
    CHECK(rgb.pixels[2] > rgb.pixels[3]);
    // Palette of black and white, indices 1 0.
    const std::string plte = chunk("PLTE", std::string("\0\0\0\xff\xff\xff", 6));
    const auto pal = decode(make_png(2, 1, 8, 3, rows({{1, 0}}), plte));
    CHECK(pal.pixels == px({255, 0}));
    // Gray + alpha: an opaque black pixel stays black; a fully transparent one is white paper.
    const auto ga = decode(make_png(2, 1, 8, 4, rows({{0, 255, 0, 0}})));
    CHECK(ga.pixels == px({0, 255}));
}

TEST_CASE("PNG: an interlaced image decodes like a plain one") {
    // 1x1 Adam7: only the first pass holds a pixel.
    const auto g = decode(make_png(1, 1, 8, 0, rows({{123}}), "", 1));
    CHECK(g.pixels == px({123}));
}

TEST_CASE("PNG: expected size, inversion before resizing, and resizing") {
    // 4x4 image of 2x2 blocks 0, 100 / 200, 40.
    const auto png =
        make_png(4, 4, 8, 0, rows({{0, 0, 100, 100}, {0, 0, 100, 100}, {200, 200, 40, 40}, {200, 200, 40, 40}}));
    const auto half = decode(png, {.height = 2, .width = 2});
    CHECK(half.pixels == px({0, 100, 200, 40}));
    const auto inv = decode(png, {.invert = true, .expect_height = 4, .expect_width = 4, .height = 2, .width = 2});
    CHECK(inv.pixels == px({255, 155, 55, 215}));
    const auto msg = io_error_of([&] { (void)decode(png, {.expect_height = 105, .expect_width = 105}); });
    CHECK(msg.find("mem.png: image is 4x4, expected 105x105") != std::string::npos);
    // Each side on its own, larger or smaller than expected.
    CHECK(io_error_of([&] { (void)decode(png, {.expect_height = 3}); }) == "mem.png: image is 4x4, expected 4x3");
    CHECK(io_error_of([&] { (void)decode(png, {.expect_height = 5}); }) == "mem.png: image is 4x4, expected 4x5");
    CHECK(io_error_of([&] { (void)decode(png, {.expect_width = 3}); }) == "mem.png: image is 4x4, expected 3x4");
    CHECK(io_error_of([&] { (void)decode(png, {.expect_width = 5}); }) == "mem.png: image is 4x4, expected 5x4");
    CHECK_THROWS_AS(decode(png, {.height = -1}), std::invalid_argument);
    for (const PngOptions negative : {PngOptions{.expect_height = -1}, PngOptions{.expect_width = -1},
                                      PngOptions{.height = -1}, PngOptions{.width = -1}}) {
        CHECK_THROWS_WITH_AS(decode(png, negative), "mem.png: PngOptions sizes must not be negative",
                             std::invalid_argument);
    }
    // On a non-square image (3 wide, 2 high) each expected side is compared with its own side,
    // and the message fills the side not given with the image's.
    CHECK(decode(gray8(), {.expect_height = 2}).pixels.size() == 6);
    CHECK(decode(gray8(), {.expect_width = 3}).pixels.size() == 6);
    CHECK(io_error_of([&] { (void)decode(gray8(), {.expect_height = 3}); }) == "mem.png: image is 3x2, expected 3x3");
    CHECK(io_error_of([&] { (void)decode(gray8(), {.expect_width = 2}); }) == "mem.png: image is 3x2, expected 2x2");
    // Resizing one side only keeps the other.
    const auto narrow = decode(png, {.width = 2});
    CHECK((narrow.height == 4 && narrow.width == 2));
    CHECK(narrow.pixels == px({0, 100, 0, 100, 200, 40, 200, 40}));
    const auto flat = decode(png, {.height = 2});
    CHECK((flat.height == 2 && flat.width == 4));
    CHECK(flat.pixels == px({0, 0, 100, 100, 200, 200, 40, 40}));
    // A resize beyond png_max_pixels (2^20 x 2^20 allocated a terabyte), also with one side kept.
    CHECK_THROWS_WITH_AS(decode(png, {.height = 1 << 20, .width = 1 << 20}),
                         doctest::Contains("mem.png: PngOptions resizes to 1048576x1048576, more than the 67108864"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(decode(png, {.height = index_t{1} << 40}), doctest::Contains("resizes to 1099511627776x4"),
                         std::invalid_argument);
    // Sides whose product wraps a 64-bit count to 0.
    CHECK_THROWS_WITH_AS(decode(png, {.height = index_t{1} << 32, .width = index_t{1} << 32}),
                         doctest::Contains("resizes to 4294967296x4294967296"), std::invalid_argument);
}

TEST_CASE("PNG: encode_png and write_png round-trip through decode_png and read_png") {
    TempDir dir;
    GrayImage g{3, 5, {}};
    for (int i = 0; i < 15; ++i) g.pixels.push_back(static_cast<std::uint8_t>(17 * i));
    write_png(dir.path / "g.png", g);
    const auto back = read_png(dir.path / "g.png");
    CHECK(back.height == 3);
    CHECK(back.width == 5);
    CHECK(back.pixels == g.pixels);
    // In memory: encode_png's string goes straight back into decode_png.
    CHECK(decode_png(encode_png(g), "in memory").pixels == g.pixels);
    CHECK_THROWS_WITH_AS((void)encode_png(GrayImage{2, 2, {1, 2, 3}}), "encode_png: 3 pixels for a 2x2 image",
                         siamese::shape_error);
    CHECK_THROWS_WITH_AS((void)encode_png(GrayImage{0, 2, {}}), doctest::Contains("a 2x0 image: each side"),
                         std::invalid_argument);
    // Past png_max_pixels: the sizes are refused before height * width is computed (it overflowed).
    constexpr auto huge = index_t{1} << 40;
    CHECK_THROWS_WITH_AS((void)encode_png(GrayImage{huge, huge, {}}), doctest::Contains("at most"),
                         std::invalid_argument);
}

// ------------------------------------------------------------------------------- bad files

TEST_CASE("PNG: a missing file, a directory and an empty file are errors naming the path") {
    TempDir dir;
    CHECK(io_error_of([&] { (void)read_png(dir.path / "nope.png"); }).find("nope.png: no such file") !=
          std::string::npos);
    CHECK(io_error_of([&] { (void)read_png(dir.path); }).find("is a directory, expected a PNG image") !=
          std::string::npos);
    const auto empty = dir.write("empty.png", "");
    CHECK(io_error_of([&] { (void)read_png(empty); }).find("empty.png: empty file") != std::string::npos);
}

TEST_CASE("PNG: a file larger than any supported PNG is refused by its size, before it is read") {
    // A wrong path (a video, a disk image) must not be read whole into memory. The file is sparse:
    // 9 * png_max_pixels + 1 bytes on disk take no space.
    TempDir dir;
    const auto big = dir.write("big.png", "");
    const std::uint64_t size = 9 * png_max_pixels + 1;
    std::filesystem::resize_file(big, size);
    test_allocations::largest = 0;
    test::require_io_error([&] { (void)read_png(big); },
                           {big.string() + ": " + std::to_string(size) + " bytes, too large for a PNG image"});
    CHECK(test_allocations::largest.load() < (std::size_t{1} << 20));
}

TEST_CASE("PNG: a file that is not a PNG is an error naming it") {
    TempDir dir;
    const auto text = dir.write("text.png", "hello, world");
    CHECK(io_error_of([&] { (void)read_png(text); }).find("text.png: not a PNG image") != std::string::npos);
    const auto pgm = dir.write("image.png", "P5\n2 2\n255\n\x01\x02\x03\x04");
    CHECK(io_error_of([&] { (void)read_png(pgm); }).find("not a PNG image") != std::string::npos);
}

TEST_CASE("PNG: truncated at any point before the end of the image data is an error, never a crash") {
    TempDir dir;
    const std::string png = gray8();
    const std::size_t iend = png.size() - 12;  // the IEND chunk: the image is complete before it
    for (std::size_t cut = 0; cut < iend; ++cut) {
        CAPTURE(cut);
        const auto path = dir.write("cut.png", png.substr(0, cut));
        const auto msg = io_error_of([&] { (void)read_png(path); });
        CHECK(msg.rfind(path.string() + ": ", 0) == 0);
    }
}

TEST_CASE("PNG: a flipped byte in the image data or a damaged zlib stream is an error") {
    std::string bad_crc = gray8();
    bad_crc[bad_crc.size() - 12 - 6] ^= 0x20;  // inside IDAT's data: its CRC no longer matches
    CHECK(io_error_of([&] { (void)decode(bad_crc); }).find("mem.png: cannot decode PNG") == 0);
    // A valid CRC over a zlib stream with a wrong Adler-32.
    std::string raw = rows({{1, 2, 3}, {4, 5, 6}});
    std::string z = zlib_stored(raw);
    z[z.size() - 1] ^= 1;
    const std::string ihdr = be32(3) + be32(2) + std::string("\x08\0\0\0\0", 5);
    const std::string png =
        std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", z) + chunk("IEND", "");
    CHECK_THROWS_AS((void)decode(png), io_error);
    // An invalid bit depth in the header.
    CHECK_THROWS_AS((void)decode(make_png(3, 2, 7, 0, rows({{1, 2, 3}, {4, 5, 6}}))), io_error);
}

TEST_CASE("PNG: a huge declared size in a tiny file fails before its pixels are allocated") {
    const std::string huge = make_png(60000, 60000, 8, 0, rows({{1, 2, 3}}));
    test_allocations::largest = 0;
    const auto msg = io_error_of([&] { (void)decode(huge); });
    CHECK(msg.find("60000x60000") != std::string::npos);
    CHECK(test_allocations::largest.load() < (std::size_t{1} << 20));
    // png_max_pixels itself (8192 x 8192) passes the size check and fails only on its missing
    // data; one row more is refused by size.
    const auto at_limit = io_error_of([&] { (void)decode(make_png(8192, 8192, 8, 0, rows({{1, 2, 3}}))); });
    CHECK(at_limit.find("cannot decode PNG (data)") != std::string::npos);
    const auto past_limit = io_error_of([&] { (void)decode(make_png(8192, 8193, 8, 0, rows({{1, 2, 3}}))); });
    CHECK(past_limit.find("8192x8193 pixels, beyond the supported 67108864 pixels") != std::string::npos);
}

#else

TEST_CASE("PNG: without libpng decoding and encoding are clear errors") {
    const auto msg = io_error_of([&] { (void)decode(gray8()); });
    CHECK(msg.find("mem.png: cannot decode PNG: siamese was built without libpng (SIAMESE_HAS_PNG not defined to 1; "
                   "in CMake SIAMESE_USE_PNG=OFF)") != std::string::npos);
    CHECK(io_error_of([&] {
              (void)encode_png(GrayImage{1, 1, {0}});
          }).find("built without libpng") != std::string::npos);
}

#endif
