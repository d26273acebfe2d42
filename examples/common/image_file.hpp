// SPDX-License-Identifier: MIT
#pragma once

// Reads one grayscale image from a PGM (P5 binary or P2 text) or PNG file, as 0..255 floats.

#include <siamese/data/png.hpp>
#include <siamese/detail/quoted_text.hpp>
#include <siamese/errors.hpp>
#include <siamese/io/file_checks.hpp>

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <stb/stb_image.h>

namespace examples {

struct GrayImage {
    int width = 0, height = 0;
    std::vector<float> pixels;  ///< row-major, 0..255
};

namespace detail {

inline GrayImage read_pgm(const std::string& bytes, const std::string& shown) {
    std::size_t pos = 2;
    auto skip_blanks_and_comments = [&] {
        while (pos < bytes.size()) {
            if (bytes[pos] == '#') {
                while (pos < bytes.size() && bytes[pos] != '\n') ++pos;
            } else if (std::isspace(static_cast<unsigned char>(bytes[pos]))) {
                ++pos;
            } else {
                break;
            }
        }
    };
    auto next_int = [&](const char* what) {
        skip_blanks_and_comments();
        const std::size_t start = pos;
        while (pos < bytes.size() && std::isdigit(static_cast<unsigned char>(bytes[pos]))) ++pos;
        if (start == pos || pos - start > 9)
            throw siamese::io_error(shown + ": PGM: expected the " + std::string(what));
        return std::stoi(bytes.substr(start, pos - start));
    };
    const bool binary = bytes[1] == '5';
    GrayImage img;
    img.width = next_int("width");
    img.height = next_int("height");
    const int maxval = next_int("maximum value");
    if (img.width < 1 || img.height < 1 || img.width > 16384 || img.height > 16384) {
        throw siamese::io_error(shown + ": PGM: unsupported size " + std::to_string(img.width) + "x" +
                                std::to_string(img.height) + " (1 to 16384 pixels a side)");
    }
    if (maxval < 1 || maxval > 255) {
        throw siamese::io_error(shown + ": PGM: unsupported maximum value " + std::to_string(maxval) +
                                (maxval > 255 ? " (a 16-bit image; 8-bit PGM has 1 to 255)" : " (1 to 255)"));
    }
    const auto n = static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height);
    if (binary) {
        // Exactly one whitespace character ends the header. A Windows line end (CR LF) there
        // leaves the LF as the first pixel and shifts every other one by a byte.
        if (pos + 1 < bytes.size() && bytes[pos] == '\r' && bytes[pos + 1] == '\n' && bytes.size() - pos - 1 == n + 1) {
            throw siamese::io_error(shown +
                                    ": PGM: the header ends with CR LF (a Windows line end), but only one whitespace "
                                    "character may follow the maximum value: the pixels would be shifted by a byte");
        }
        ++pos;
    }
    // Checked before allocating: a 20-byte file may declare 16384x16384 pixels (1 GB of floats).
    // P2 needs a separator and at least one digit per pixel.
    const std::size_t left = bytes.size() - std::min(pos, bytes.size());
    if (binary ? left < n : left / 2 < n) {
        throw siamese::io_error(shown + ": PGM: truncated: expected " + std::to_string(n) +
                                (binary ? " pixel bytes" : " pixel values"));
    }
    img.pixels.resize(n);
    const float scale = 255.0f / static_cast<float>(maxval);
    auto check_pixel = [&](std::size_t i, int v) {
        if (v > maxval) {
            throw siamese::io_error(shown + ": PGM: pixel " + std::to_string(i) + " is " + std::to_string(v) +
                                    ", above the maximum value " + std::to_string(maxval));
        }
    };
    if (binary) {
        for (std::size_t i = 0; i < n; ++i) {
            const int v = static_cast<unsigned char>(bytes[pos + i]);
            check_pixel(i, v);
            img.pixels[i] = static_cast<float>(v) * scale;
        }
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            const int v = next_int("pixel value");
            check_pixel(i, v);
            img.pixels[i] = static_cast<float>(v) * scale;
        }
        // A plain PGM holds one image: more values mean the size in the header is not the image's.
        skip_blanks_and_comments();
        if (pos < bytes.size()) {
            throw siamese::io_error(shown + ": PGM: more than the " + std::to_string(n) + " pixel values of a " +
                                    std::to_string(img.width) + "x" + std::to_string(img.height) + " image");
        }
    }
    return img;
}

/// Throws io_error naming the file when a PNG chunk runs past the end of the bytes. stb_image
/// trusts a chunk's declared length and grows its buffer to it before it finds the data missing:
/// 2 GB for a corrupt 78-byte file (found by tests/fuzz/fuzz_image.cpp).
inline void check_png_chunks(const std::string& bytes, const std::string& shown) {
    std::size_t pos = 8;  // past the signature
    while (pos < bytes.size()) {
        const std::size_t left = bytes.size() - pos;
        if (left < 12) {
            throw siamese::io_error(shown + ": PNG: truncated: " + std::to_string(left) + " bytes at offset " +
                                    std::to_string(pos) + " where a chunk needs at least 12");
        }
        std::uint64_t length = 0;
        for (std::size_t i = 0; i < 4; ++i) length = length << 8 | static_cast<unsigned char>(bytes[pos + i]);
        const std::string type = bytes.substr(pos + 4, 4);
        if (length > left - 12) {
            throw siamese::io_error(shown + ": PNG: chunk " + siamese::detail::quoted_text(type, 4) + " at offset " +
                                    std::to_string(pos) + " declares " + std::to_string(length) +
                                    " bytes, but the file has " + std::to_string(left - 12) +
                                    " left (truncated or corrupt)");
        }
        if (type == "IEND") return;
        pos += 12 + static_cast<std::size_t>(length);
    }
}

}  // namespace detail

/// Loads a grayscale image (PGM, or PNG of any colour type, converted to gray).
inline GrayImage load_gray_image(const std::filesystem::path& path) {
    const std::string shown = path.string();
    siamese::io::require_regular_file(path, "an image");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw siamese::io_error(shown + ": cannot open for reading");
    // read() turns a failing read into badbit; istreambuf_iterator would let it escape without the path.
    std::string bytes;
    char chunk[65536];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) bytes.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (in.bad()) throw siamese::io_error(shown + ": read error");
    if (bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '2'))
        return detail::read_pgm(bytes, shown);
    if (bytes.size() >= 8 && bytes.compare(1, 3, "PNG") == 0) {
#if defined(SIAMESE_HAS_PNG) && SIAMESE_HAS_PNG
        // The library's reader: transparent pixels on white paper (stb drops the alpha, so a digit
        // drawn in alpha over white would read as a white image), 16-bit and sRGB as Omniglot
        // training reads them, and a reason for every truncation.
        const auto png = siamese::data::decode_png(bytes, shown);
        return GrayImage{static_cast<int>(png.width), static_cast<int>(png.height),
                         std::vector<float>(png.pixels.begin(), png.pixels.end())};
#else
        detail::check_png_chunks(bytes, shown);
        int w = 0, h = 0, channels = 0;
        unsigned char* data = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(bytes.data()),
                                                    static_cast<int>(bytes.size()), &w, &h, &channels, 1);
        if (!data) {
            const char* why = stbi_failure_reason();
            throw siamese::io_error(shown + ": cannot decode PNG (corrupt or truncated)" +
                                    (why && *why ? std::string(": ") + why : std::string()));
        }
        GrayImage img{w, h, std::vector<float>(data, data + static_cast<std::size_t>(w) * static_cast<std::size_t>(h))};
        stbi_image_free(data);
        return img;
#endif
    }
    throw siamese::io_error(shown + ": not a PGM (P5/P2) or PNG image");
}

}  // namespace examples
