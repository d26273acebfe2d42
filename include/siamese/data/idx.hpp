// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/data/input_file.hpp>
#include <siamese/data/labelled_images.hpp>
#include <siamese/errors.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace siamese::data {

/// Magic number of an IDX file of unsigned bytes with 3 dimensions: images [count, rows, cols].
inline constexpr std::uint32_t idx_images_magic = 0x00000803;  // 2051
/// Magic number of an IDX file of unsigned bytes with 1 dimension: labels [count].
inline constexpr std::uint32_t idx_labels_magic = 0x00000801;  // 2049

/// The content of an IDX image file: count images of rows x cols bytes, one after another.
struct IdxImages {
    index_t count = 0;
    index_t rows = 0;
    index_t cols = 0;
    std::vector<std::uint8_t> pixels;
};

namespace detail {

/// Largest image side we accept; anything larger in a header is corruption, not data.
inline constexpr std::uint64_t idx_max_side = 65535;

/// ": a zip archive ...": what the first four bytes of a file that is not IDX say it is, for the
/// wrappers a download leaves around MNIST ("" when they say nothing known).
inline std::string container_hint(std::uint32_t magic) {
    // A plain gzip file is unpacked by InputFile: gzip magic here is a second layer inside.
    if ((magic >> 16) == 0x1f8bu) return ": gzip data inside gzip, the file was compressed twice; gunzip it once";
    if (magic == 0x504b0304u) return ": a zip archive; unzip it, the IDX files are inside";
    if (magic == 0x89504e47u) return ": a PNG image";
    if ((magic >> 24) == '<') return ": text starting with '<', likely an HTML page saved by a failed download";
    return "";
}

/// What a file with this magic is: the magic is 0x00 0x00 TYPE RANK, so an IDX file of another
/// element type or rank is named as such rather than as "not IDX".
inline std::string idx_kind(std::uint32_t magic) {
    if (magic == idx_images_magic) return "an IDX image file";
    if (magic == idx_labels_magic) return "an IDX label file";
    const std::uint32_t type = (magic >> 8) & 0xffu, rank = magic & 0xffu;
    const char* element = type == 0x08   ? "unsigned bytes"
                          : type == 0x09 ? "signed bytes"
                          : type == 0x0b ? "16-bit integers"
                          : type == 0x0c ? "32-bit integers"
                          : type == 0x0d ? "32-bit floats"
                          : type == 0x0e ? "64-bit floats"
                                         : nullptr;
    if ((magic >> 16) != 0 || element == nullptr || rank == 0) return "not IDX" + container_hint(magic);
    return "an IDX file of " + std::string(element) + " in " + std::to_string(rank) +
           (rank == 1 ? " dimension" : " dimensions") + "; this reader takes unsigned bytes, images in 3, labels in 1";
}

inline std::string hex32(std::uint32_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s = "0x";
    for (int shift = 28; shift >= 0; shift -= 4) s += digits[(v >> shift) & 0xfu];
    return s;
}

/// Reads an IDX file of unsigned bytes with the given magic and rank: fills dims, returns the
/// payload. Validates everything before trusting the header: for a plain file the declared size
/// must equal the file size before anything is allocated; a gzipped stream is read in growing
/// chunks, so a lying header costs at most what the stream really holds.
inline std::vector<std::uint8_t> read_idx(const std::filesystem::path& path, std::uint32_t magic, int rank,
                                          std::array<std::uint64_t, 3>& dims) {
    const std::string kind = rank == 3 ? "image" : "label";
    InputFile file(path);
    if (file.file_size() == 0) {
        file.fail("empty file, expected an IDX " + kind + " file (magic " + std::to_string(magic) + ")");
    }

    const std::size_t header_size = 4 + 4 * static_cast<std::size_t>(rank);
    std::array<unsigned char, 16> header{};
    const std::size_t got = file.read(header.data(), header_size);
    auto be32 = [&](std::size_t at) {
        return (std::uint32_t{header[at]} << 24) | (std::uint32_t{header[at + 1]} << 16) |
               (std::uint32_t{header[at + 2]} << 8) | std::uint32_t{header[at + 3]};
    };
    // The magic first: a short file of the wrong kind is better described by its kind.
    if (got >= 4 && be32(0) != magic) {
        const std::uint32_t found = be32(0);
        file.fail("not an IDX " + kind + " file: expected magic " + std::to_string(magic) + " (" + hex32(magic) +
                  "), found " + std::to_string(found) + " (" + hex32(found) + ", " + idx_kind(found) + ")");
    }
    if (got < header_size) {
        file.fail("truncated: an IDX " + kind + " file starts with a " + std::to_string(header_size) +
                  "-byte header, the " + file.stream_name() + " has " + std::to_string(got) + " bytes");
    }
    dims = {1, 1, 1};
    for (int d = 0; d < rank; ++d) dims[static_cast<std::size_t>(d)] = be32(4 + 4 * static_cast<std::size_t>(d));

    std::string declared;
    if (rank == 3) {
        declared = std::to_string(dims[0]) + " images of " + std::to_string(dims[1]) + "x" + std::to_string(dims[2]);
        if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0) file.fail("header declares " + declared + ", an empty set");
        if (dims[1] > idx_max_side || dims[2] > idx_max_side) {
            file.fail("header declares " + declared + ": implausible image size (at most " +
                      std::to_string(idx_max_side) + " pixels a side)");
        }
    } else {
        declared = std::to_string(dims[0]) + " labels";
        if (dims[0] == 0) file.fail("header declares 0 labels, an empty set");
    }
    // Cannot overflow: count < 2^32 and each side < 2^16.
    const std::uint64_t payload = dims[0] * dims[1] * dims[2];
    const std::uint64_t total = header_size + payload;
    declared += " (" + std::to_string(total) + " bytes)";

    std::vector<std::uint8_t> data;
    if (!file.gzipped()) {
        if (file.file_size() < total) {
            file.fail("truncated: header declares " + declared + " but the file has " +
                      std::to_string(file.file_size()) + " bytes");
        }
        if (file.file_size() > total) {
            file.fail("trailing data: header declares " + declared + " but the file has " +
                      std::to_string(file.file_size()) + " bytes");
        }
        data.resize(payload);
        const std::size_t n = file.read(data.data(), payload);
        if (n != payload) {  // the file shrank since we looked at its size
            file.fail("truncated: header declares " + declared + " but only " + std::to_string(header_size + n) +
                      " bytes could be read");
        }
        return data;
    }

    std::size_t filled = 0;
    while (filled < payload) {
        // Grow geometrically as real data arrives, never to the declared size up front.
        const std::size_t next = std::min<std::uint64_t>(payload, std::max<std::uint64_t>(2 * filled, 1u << 20));
        data.resize(next);
        const std::size_t n = file.read(data.data() + filled, next - filled);
        filled += n;
        if (filled < next) {
            file.fail("truncated: header declares " + declared + " but the decompressed stream has " +
                      std::to_string(header_size + filled) + " bytes");
        }
    }
    if (!file.at_end()) {
        file.fail("trailing data: header declares " + declared + " but the decompressed stream is longer");
    }
    return data;
}

}  // namespace detail

/// Reads an IDX image file (magic 2051, [count, rows, cols] unsigned bytes), plain or gzipped.
/// Throws io_error naming the file on a wrong magic, zero or implausible dimensions, a
/// truncated file or trailing data.
[[nodiscard]] inline IdxImages read_idx_images(const std::filesystem::path& path) {
    std::array<std::uint64_t, 3> dims{};
    IdxImages out;
    out.pixels = detail::read_idx(path, idx_images_magic, 3, dims);
    out.count = static_cast<index_t>(dims[0]);
    out.rows = static_cast<index_t>(dims[1]);
    out.cols = static_cast<index_t>(dims[2]);
    return out;
}

/// Reads an IDX label file (magic 2049, [count] unsigned bytes), plain or gzipped.
[[nodiscard]] inline std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path) {
    std::array<std::uint64_t, 3> dims{};
    return detail::read_idx(path, idx_labels_magic, 1, dims);
}

/// Reads an IDX image file and its label file into one set of [1, rows, cols] images; their
/// counts must agree.
[[nodiscard]] inline LabelledImages load_idx(const std::filesystem::path& images_path,
                                             const std::filesystem::path& labels_path) {
    // Labels first: they are small, so a bad label file fails before megabytes of pixels are read.
    const std::vector<std::uint8_t> raw_labels = read_idx_labels(labels_path);
    IdxImages images = read_idx_images(images_path);
    if (static_cast<index_t>(raw_labels.size()) != images.count) {
        throw io_error(labels_path.string() + ": has " + std::to_string(raw_labels.size()) + " labels but " +
                       images_path.string() + " has " + std::to_string(images.count) + " images");
    }
    std::vector<label_t> labels(raw_labels.begin(), raw_labels.end());
    return LabelledImages(Shape{1, images.rows, images.cols}, std::move(images.pixels), std::move(labels));
}

}  // namespace siamese::data
