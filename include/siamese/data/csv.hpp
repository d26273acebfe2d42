// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/data/labelled_images.hpp>
#include <siamese/detail/quoted_text.hpp>
#include <siamese/errors.hpp>
#include <siamese/io/file_checks.hpp>
#include <siamese/shape.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace siamese::data {

namespace detail {

inline std::string_view trim_blanks(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// A field as quoted in an error message (see siamese::detail::quoted_text).
inline std::string quote_field(std::string_view s) { return siamese::detail::quoted_text(s, 24); }

/// Parses a whole field as a decimal integer with an optional sign: std::errc{} on success,
/// result_out_of_range for an integer beyond 64 bits, invalid_argument for anything else.
inline std::errc parse_integer(std::string_view s, std::int64_t& value) noexcept {
    if (s.size() > 1 && s.front() == '+' && s[1] != '-') s.remove_prefix(1);
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || end != s.data() + s.size()) return std::errc::invalid_argument;
    return ec;
}

}  // namespace detail

/// Loads images from CSV in the tutorial's format: one row per image, no header, the integer
/// label first, then C*H*W pixel values 0..255 (28x28 = 784 by default). image_shape is
/// [C, H, W] or [H, W]. Accepts \n and \r\n line endings, a last line without newline, blank
/// space around fields, blank lines at the end and a UTF-8 byte-order mark at the start.
/// Throws io_error naming the file, line and column (1 = the label) for a non-numeric field, a
/// label beyond 64 bits, a pixel outside 0..255, a row with the wrong number of fields, an
/// empty file, a path that is not a regular file (a FIFO, a device), or a file that cannot be
/// read.
[[nodiscard]] inline LabelledImages load_csv(const std::filesystem::path& path,
                                             const Shape& image_shape = Shape{1, 28, 28}) {
    const std::string name = path.string();
    const Shape chw = image_shape.rank() == 2 ? Shape{1, image_shape[0], image_shape[1]} : image_shape;
    if (chw.rank() != 3 || chw.numel() < 1) {
        throw shape_error("load_csv: image shape must be [C, H, W] or [H, W] with positive sizes, got " +
                          image_shape.str());
    }
    const index_t per_image = chw.numel();
    const std::size_t fields = static_cast<std::size_t>(per_image) + 1;
    const std::string row_format = "a label and " + std::to_string(per_image) + " pixel values";

    io::require_regular_file(path, "a CSV file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error(name + ": cannot open for reading");

    std::vector<std::uint8_t> pixels;
    std::vector<label_t> labels;
    std::string line;
    std::size_t line_number = 0;
    std::size_t first_blank = 0;  // a blank line is fine only if nothing but blank lines follows
    auto fail = [&](std::size_t column, const std::string& what) {
        throw io_error(name + ": line " + std::to_string(line_number) +
                       (column ? ", column " + std::to_string(column) : std::string()) + ": " + what);
    };

    while (std::getline(in, line)) {
        ++line_number;
        std::string_view row = line;
        if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
        if (line_number == 1 && row.starts_with("\xEF\xBB\xBF")) row.remove_prefix(3);  // a UTF-8 byte-order mark
        if (detail::trim_blanks(row).empty()) {
            if (first_blank == 0) first_blank = line_number;
            continue;
        }
        if (first_blank != 0) {
            const std::size_t here = line_number;
            line_number = first_blank;
            fail(0, "empty line before more data at line " + std::to_string(here));
        }

        const auto commas = static_cast<std::size_t>(std::count(row.begin(), row.end(), ','));
        if (commas + 1 != fields) {
            fail(0, "expected " + std::to_string(fields) + " fields (" + row_format + "), found " +
                        std::to_string(commas + 1));
        }

        const std::size_t old_size = pixels.size();
        pixels.resize(old_size + static_cast<std::size_t>(per_image));
        std::uint8_t* out = pixels.data() + old_size;
        std::size_t column = 0;
        while (column < fields) {
            const std::size_t comma = row.find(',');
            const std::string_view field = detail::trim_blanks(row.substr(0, comma));
            row.remove_prefix(comma == std::string_view::npos ? row.size() : comma + 1);
            ++column;
            std::int64_t value = 0;
            const std::errc parsed = detail::parse_integer(field, value);
            if (column == 1) {
                if (parsed == std::errc::result_out_of_range) {
                    fail(column, "label " + detail::quote_field(field) + " does not fit a 64-bit integer");
                }
                if (parsed != std::errc{}) {
                    const bool quoted = !field.empty() && (field.front() == '"' || field.front() == '\'');
                    fail(column, "expected an integer label, found " + detail::quote_field(field) +
                                     (quoted             ? " (fields must not be quoted)"
                                      : line_number == 1 ? " (the file must not have a header row)"
                                                         : ""));
                }
                labels.push_back(value);
            } else if (parsed == std::errc::result_out_of_range) {
                fail(column, "pixel value " + detail::quote_field(field) + " outside 0..255");
            } else if (parsed != std::errc{}) {
                fail(column, "expected a pixel value 0..255, found " + detail::quote_field(field));
            } else if (value < 0 || value > 255) {
                fail(column, "pixel value " + std::to_string(value) + " outside 0..255");
            } else {
                *out++ = static_cast<std::uint8_t>(value);
            }
        }
    }
    if (in.bad()) throw io_error(name + ": read error after line " + std::to_string(line_number));
    if (labels.empty()) {
        throw io_error(name + ": empty file: expected rows of " + row_format);
    }
    return LabelledImages(chw, std::move(pixels), std::move(labels));
}

}  // namespace siamese::data
