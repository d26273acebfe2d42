// SPDX-License-Identifier: MIT
#pragma once

// Grayscale PNG reading (any PNG: 1-, 2-, 4-, 8- or 16-bit gray, palette, RGB, with or without
// alpha, interlaced or not) through libpng's simplified API, with the ink convention explicit and
// optional resizing by area averaging.
//
// libpng is an optional usage requirement of siamese::siamese (SIAMESE_USE_PNG, default ON, like
// zlib): it is found with CMake's own FindPNG everywhere, is a shared library (no implementation
// to compile into exactly one translation unit, which a header-only library cannot promise), and
// its simplified API reports errors in a struct instead of longjmp, so no C++ frame is skipped.
// Built without it, the decoders throw io_error saying so; resize_area needs nothing.

#include <siamese/config.hpp>
#include <siamese/errors.hpp>
#include <siamese/io/atomic_write.hpp>
#include <siamese/io/file_checks.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#if defined(SIAMESE_HAS_PNG) && SIAMESE_HAS_PNG
#include <png.h>
#endif

namespace siamese::data {

/// An 8-bit grayscale image: height rows of width pixels.
struct GrayImage {
    index_t height = 0;
    index_t width = 0;
    std::vector<std::uint8_t> pixels;  ///< [height, width], row-major, 0..255
};

/// How read_png turns a file into a GrayImage.
struct PngOptions {
    /// false: pixels as stored (dark = 0). true: 255 - v, so black ink on white paper
    /// (Omniglot) becomes bright ink on a 0 background, like MNIST, and zero padding in a
    /// convolution is paper. Applied before resizing.
    bool invert = false;
    /// When > 0, the file's image must have exactly this height / width (io_error otherwise).
    index_t expect_height = 0;
    index_t expect_width = 0;
    /// When > 0, the image is resized to this height / width by area averaging (resize_area).
    index_t height = 0;
    index_t width = 0;
};

/// Largest image a PNG may declare, in pixels: far beyond any data set image, small enough that a
/// lying header cannot make us allocate more than 64 MiB.
inline constexpr std::uint64_t png_max_pixels = std::uint64_t{1} << 26;

namespace detail {

/// Whether an h x w image (both >= 1) has more than png_max_pixels pixels, without overflowing.
[[nodiscard]] constexpr bool more_than_max_pixels(index_t h, index_t w) noexcept {
    const auto rows = static_cast<std::uint64_t>(h), cols = static_cast<std::uint64_t>(w);
    return rows > png_max_pixels || cols > png_max_pixels / rows;
}

}  // namespace detail

/// Resizes one [h, w] 8-bit plane to [out_h, out_w] by area averaging: each output pixel is the
/// mean of the source area it covers, source pixels cut by its border counted by the fraction
/// inside (exact integer weights, rounded half up). 105 -> 35 averages 3 x 3 blocks; 105 -> 52
/// mixes fractional edges; enlarging repeats pixels. Throws std::invalid_argument for a
/// non-positive size or one past png_max_pixels, shape_error for a buffer whose length is not
/// its size's.
inline void resize_area(std::span<const std::uint8_t> src, index_t h, index_t w, std::span<std::uint8_t> dst,
                        index_t out_h, index_t out_w) {
    if (h < 1 || w < 1 || out_h < 1 || out_w < 1) {
        throw std::invalid_argument("resize_area: sizes must be positive, got " + std::to_string(h) + "x" +
                                    std::to_string(w) + " -> " + std::to_string(out_h) + "x" + std::to_string(out_w));
    }
    // Either side's pixel count past png_max_pixels: h * w would overflow, and the loop run for ever.
    if (detail::more_than_max_pixels(h, w) || detail::more_than_max_pixels(out_h, out_w)) {
        throw std::invalid_argument("resize_area: " + std::to_string(h) + "x" + std::to_string(w) + " -> " +
                                    std::to_string(out_h) + "x" + std::to_string(out_w) + " exceeds the " +
                                    std::to_string(png_max_pixels) + " pixels an image may have");
    }
    if (static_cast<index_t>(src.size()) != h * w || static_cast<index_t>(dst.size()) != out_h * out_w) {
        throw shape_error("resize_area: buffers of " + std::to_string(src.size()) + " and " +
                          std::to_string(dst.size()) + " pixels for " + std::to_string(h) + "x" + std::to_string(w) +
                          " -> " + std::to_string(out_h) + "x" + std::to_string(out_w));
    }
    // In coordinates scaled by the output size, source pixel i spans [i*out, (i+1)*out) and
    // output pixel j spans [j*in, (j+1)*in): overlaps are integers and each output's weights sum
    // to `in`. The weights of one axis: for output j, sources [first[j], first[j] + count) .
    struct Axis {
        std::vector<index_t> first, weight_begin;
        std::vector<std::int64_t> weights;
    };
    auto axis = [](index_t in, index_t out) {
        Axis a;
        for (index_t j = 0; j < out; ++j) {
            const index_t lo = j * in, hi = (j + 1) * in;
            a.first.push_back(lo / out);
            a.weight_begin.push_back(static_cast<index_t>(a.weights.size()));
            for (index_t i = lo / out; i * out < hi; ++i) {
                a.weights.push_back(std::min(hi, (i + 1) * out) - std::max(lo, i * out));
            }
        }
        a.weight_begin.push_back(static_cast<index_t>(a.weights.size()));
        return a;
    };
    const Axis ax = axis(w, out_w), ay = axis(h, out_h);
    // Horizontal pass into unnormalised row sums (denominator w), then vertical (denominator h).
    std::vector<std::int64_t> rows(static_cast<std::size_t>(h * out_w));
    for (index_t y = 0; y < h; ++y) {
        for (index_t j = 0; j < out_w; ++j) {
            std::int64_t sum = 0;
            const auto* weight = &ax.weights[static_cast<std::size_t>(ax.weight_begin[static_cast<std::size_t>(j)])];
            const index_t count =
                ax.weight_begin[static_cast<std::size_t>(j) + 1] - ax.weight_begin[static_cast<std::size_t>(j)];
            const std::uint8_t* s = src.data() + y * w + ax.first[static_cast<std::size_t>(j)];
            for (index_t k = 0; k < count; ++k) sum += weight[k] * s[k];
            rows[static_cast<std::size_t>(y * out_w + j)] = sum;
        }
    }
    const std::int64_t denominator = static_cast<std::int64_t>(w) * static_cast<std::int64_t>(h);
    for (index_t i = 0; i < out_h; ++i) {
        const auto* weight = &ay.weights[static_cast<std::size_t>(ay.weight_begin[static_cast<std::size_t>(i)])];
        const index_t count =
            ay.weight_begin[static_cast<std::size_t>(i) + 1] - ay.weight_begin[static_cast<std::size_t>(i)];
        const index_t y0 = ay.first[static_cast<std::size_t>(i)];
        for (index_t j = 0; j < out_w; ++j) {
            std::int64_t sum = 0;
            for (index_t k = 0; k < count; ++k) sum += weight[k] * rows[static_cast<std::size_t>((y0 + k) * out_w + j)];
            dst[static_cast<std::size_t>(i * out_w + j)] =
                static_cast<std::uint8_t>((2 * sum + denominator) / (2 * denominator));
        }
    }
}

/// resize_area on a whole image: returns the [out_h, out_w] image.
[[nodiscard]] inline GrayImage resize_area(const GrayImage& image, index_t out_h, index_t out_w) {
    GrayImage out{out_h, out_w,
                  std::vector<std::uint8_t>(static_cast<std::size_t>(std::max<index_t>(out_h * out_w, 0)))};
    resize_area(image.pixels, image.height, image.width, out.pixels, out_h, out_w);
    return out;
}

namespace detail {

/// Why a build has no PNG, in the terms of either way to build: header-only users define the
/// macro themselves (and link -lpng), CMake users get it from the option.
inline constexpr const char* without_png = "(SIAMESE_HAS_PNG not defined to 1; in CMake SIAMESE_USE_PNG=OFF)";

inline void check_png_options(const PngOptions& o, const std::string& name) {
    if (o.expect_height < 0 || o.expect_width < 0 || o.height < 0 || o.width < 0) {
        throw std::invalid_argument(name + ": PngOptions sizes must not be negative");
    }
}

// What decode_png does after decoding: inversion first (so resizing averages ink), then resizing.
inline GrayImage apply_png_options(GrayImage image, const PngOptions& o, const std::string& name) {
    if (o.invert) {
        for (auto& v : image.pixels) v = static_cast<std::uint8_t>(255 - v);
    }
    const index_t out_h = o.height > 0 ? o.height : image.height, out_w = o.width > 0 ? o.width : image.width;
    // The decoded image is held to png_max_pixels; the resized one too (2^20 x 2^20 asked for a
    // terabyte).
    if (more_than_max_pixels(out_h, out_w)) {
        throw std::invalid_argument(name + ": PngOptions resizes to " + std::to_string(out_h) + "x" +
                                    std::to_string(out_w) + ", more than the " + std::to_string(png_max_pixels) +
                                    " pixels an image may have");
    }
    if (out_h != image.height || out_w != image.width) image = resize_area(image, out_h, out_w);
    return image;
}

}  // namespace detail

/// Decodes a PNG held in memory into 8-bit gray (colour is converted to luminance; transparent
/// pixels are composited onto white paper), then applies `options` (expected size, inversion,
/// resizing). `name` starts every error message, e.g. the file it came from. Throws io_error for
/// anything that is not a complete, valid PNG: wrong signature, truncated, corrupt data, a
/// declared size above png_max_pixels, an unexpected size; and when siamese was built without
/// libpng. Throws std::invalid_argument for options that are negative or resize past
/// png_max_pixels.
[[nodiscard]] inline GrayImage decode_png(std::span<const std::uint8_t> bytes, const std::string& name,
                                          const PngOptions& options = {}) {
    detail::check_png_options(options, name);
    static constexpr std::uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (bytes.empty()) throw io_error(name + ": empty file, expected a PNG image");
    if (bytes.size() < sizeof signature || std::memcmp(bytes.data(), signature, sizeof signature) != 0) {
        throw io_error(name + ": not a PNG image (no PNG signature at the start)");
    }
#if defined(SIAMESE_HAS_PNG) && SIAMESE_HAS_PNG
    png_image image;
    std::memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    // png_image_free is a no-op on a freed or never-started image, so one guard covers every exit.
    struct Free {
        png_image* p;
        ~Free() { png_image_free(p); }
    } guard{&image};
    auto fail = [&](const char* stage) -> void {
        throw io_error(name + ": cannot decode PNG (" + stage +
                       "): " + (image.message[0] ? std::string(image.message) : std::string("corrupt or truncated")));
    };
    if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) fail("header");
    const std::uint64_t pixels = std::uint64_t{image.width} * std::uint64_t{image.height};
    if (image.width == 0 || image.height == 0 || pixels > png_max_pixels) {
        throw io_error(name + ": PNG declares an image of " + std::to_string(image.width) + "x" +
                       std::to_string(image.height) + " pixels, beyond the supported " +
                       std::to_string(png_max_pixels) + " pixels");
    }
    const auto height = static_cast<index_t>(image.height), width = static_cast<index_t>(image.width);
    if ((options.expect_height > 0 && height != options.expect_height) ||
        (options.expect_width > 0 && width != options.expect_width)) {
        throw io_error(name + ": image is " + std::to_string(width) + "x" + std::to_string(height) + ", expected " +
                       std::to_string(options.expect_width > 0 ? options.expect_width : width) + "x" +
                       std::to_string(options.expect_height > 0 ? options.expect_height : height));
    }
    image.format = PNG_FORMAT_GRAY;
    // Without a gAMA or sRGB chunk libpng takes 16-bit samples as linear and re-encodes them,
    // brightening mid-grays (0x8000 -> 186); PNG samples are gamma-encoded at every depth.
    image.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
    GrayImage out{height, width, std::vector<std::uint8_t>(static_cast<std::size_t>(pixels))};
    const png_color white{255, 255, 255};
    if (!png_image_finish_read(&image, &white, out.pixels.data(), 0, nullptr)) fail("data");
    return detail::apply_png_options(std::move(out), options, name);
#else
    throw io_error(name + ": cannot decode PNG: siamese was built without libpng " + detail::without_png);
#endif
}

/// decode_png of bytes held in a string: encode_png's result, or a file read into one.
[[nodiscard]] inline GrayImage decode_png(std::string_view bytes, const std::string& name,
                                          const PngOptions& options = {}) {
    return decode_png(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
                      name, options);
}

/// Reads a PNG file (see decode_png). A missing file, a directory or an unreadable file throws
/// io_error naming it.
[[nodiscard]] inline GrayImage read_png(const std::filesystem::path& path, const PngOptions& options = {}) {
    const std::string name = path.string();
    io::require_regular_file(path, "a PNG image");
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) throw io_error(name + ": cannot read its size: " + ec.message());
    // A PNG larger than this could not hold a supported image anyway (at most 8 bytes per pixel,
    // 16-bit RGBA, plus a filter byte per row and zlib's few bytes per stored block);
    // refusing it early bounds what a bad path can make us read.
    if (size > 9 * png_max_pixels)
        throw io_error(name + ": " + std::to_string(size) + " bytes, too large for a PNG image");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error(name + ": cannot open");
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
    if (in.gcount() != static_cast<std::streamsize>(size)) throw io_error(name + ": read error");
    return decode_png(bytes, name, options);
}

/// Encodes an 8-bit grayscale image as PNG bytes (e.g. to save resized data or one-shot runs).
/// Throws std::invalid_argument for a size that is not positive or is past png_max_pixels,
/// shape_error when the pixels do not match the size, io_error when encoding fails or siamese
/// was built without libpng.
[[nodiscard]] inline std::string encode_png(const GrayImage& image) {
    const std::string dims = std::to_string(image.width) + "x" + std::to_string(image.height);
    if (image.height < 1 || image.width < 1 || detail::more_than_max_pixels(image.height, image.width)) {
        throw std::invalid_argument("encode_png: a " + dims +
                                    " image: each side must be at least 1 and the whole at most " +
                                    std::to_string(png_max_pixels) + " pixels");
    }
    if (static_cast<index_t>(image.pixels.size()) != image.height * image.width)
        throw shape_error("encode_png: " + std::to_string(image.pixels.size()) + " pixels for a " + dims + " image");
#if defined(SIAMESE_HAS_PNG) && SIAMESE_HAS_PNG
    png_image png;
    std::memset(&png, 0, sizeof png);
    png.version = PNG_IMAGE_VERSION;
    png.width = static_cast<png_uint_32>(image.width);
    png.height = static_cast<png_uint_32>(image.height);
    png.format = PNG_FORMAT_GRAY;
    png_alloc_size_t size = 0;
    // First the size, then the bytes: libpng's documented two-call protocol.
    if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.pixels.data(), 0, nullptr) || size == 0) {
        throw io_error(std::string("encode_png: ") + (png.message[0] ? png.message : "cannot encode"));
    }
    std::string bytes(static_cast<std::size_t>(size), '\0');
    if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.pixels.data(), 0, nullptr)) {
        throw io_error(std::string("encode_png: ") + (png.message[0] ? png.message : "cannot encode"));
    }
    bytes.resize(static_cast<std::size_t>(size));
    return bytes;
#else
    throw io_error(std::string("encode_png: siamese was built without libpng ") + detail::without_png);
#endif
}

/// Writes an 8-bit grayscale image as a PNG file, atomically (a temporary file renamed into
/// place). Throws io_error naming the file when it cannot be written.
inline void write_png(const std::filesystem::path& path, const GrayImage& image) {
    io::write_file_atomically(path, encode_png(image));
}

}  // namespace siamese::data
