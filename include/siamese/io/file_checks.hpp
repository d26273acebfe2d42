// SPDX-License-Identifier: MIT
#pragma once

// What every reader checks before it opens a path, with the same words everywhere. A FIFO or a
// device is refused as "not a regular file": reading it could block or never end.

#include <siamese/errors.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace siamese::io {

/// Throws io_error naming `path` unless it is a regular file (after symbolic links):
/// "PATH: no such file", "PATH: is a directory, expected WHAT",
/// "PATH: is not a regular file, expected WHAT" (what: "a CSV file", "a PNG image", ...).
inline void require_regular_file(const std::filesystem::path& path, std::string_view what) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) throw io_error(path.string() + ": no such file");
    if (std::filesystem::is_directory(status)) {
        throw io_error(path.string() + ": is a directory, expected " + std::string(what));
    }
    if (!std::filesystem::is_regular_file(status)) {
        throw io_error(path.string() + ": is not a regular file, expected " + std::string(what));
    }
}

/// Throws io_error naming `path` unless it is a folder: "PATH: no such folder (WHAT)",
/// "PATH: not a folder (WHAT)" (what: "expected one-shot runs", ...).
inline void require_folder(const std::filesystem::path& path, std::string_view what) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status))
        throw io_error(path.string() + ": no such folder (" + std::string(what) + ")");
    if (!std::filesystem::is_directory(status)) {
        throw io_error(path.string() + ": not a folder (" + std::string(what) + ")");
    }
}

}  // namespace siamese::io
