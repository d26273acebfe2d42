// SPDX-License-Identifier: MIT
#pragma once

// Listing a data set's folders, for the loaders that read a tree of files (Omniglot, one-shot
// runs): every entry is accounted for, so a folder that cannot be read is an error, never a
// class or run silently left out.

#include <siamese/errors.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace siamese::data::detail {

/// One entry of a listed folder.
struct FolderEntry {
    std::filesystem::path path;
    bool is_folder = false;  ///< a folder, or a symbolic link to one
};

/// The entries of `dir` in name order, skipping names that start with '.' (.DS_Store, editors'
/// files). Throws io_error naming the entry for a symbolic link that leads nowhere or cannot be
/// followed (it could have been a class folder or an image), and naming `dir` when it cannot be
/// listed.
[[nodiscard]] inline std::vector<FolderEntry> list_folder(const std::filesystem::path& dir) {
    std::vector<FolderEntry> out;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        std::error_code entry_ec;
        const auto status = it->status(entry_ec);
        if (!std::filesystem::exists(status)) {
            // Not found is a dangling link; anything else (a link loop, a target we may not
            // read) has its own reason, which the system's message names.
            const bool dangling = !entry_ec || entry_ec == std::errc::no_such_file_or_directory;
            throw io_error(it->path().string() + (dangling ? ": broken symbolic link (its target does not exist)"
                                                           : ": cannot follow: " + entry_ec.message()));
        }
        out.push_back({it->path(), std::filesystem::is_directory(status)});
    }
    if (ec) throw io_error(dir.string() + ": cannot list: " + ec.message());
    std::sort(out.begin(), out.end(), [](const FolderEntry& a, const FolderEntry& b) { return a.path < b.path; });
    return out;
}

/// True for a name ending in ".png", in any case.
[[nodiscard]] inline bool is_png_name(const std::filesystem::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext == ".png";
}

/// The PNG files of `dir` (names ending in ".png", any case), in name order, by list_folder's
/// rules. A folder named like an image throws io_error naming it: skipped, it would be an image
/// silently left out of the set.
[[nodiscard]] inline std::vector<std::filesystem::path> list_png_files(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : list_folder(dir)) {
        if (!is_png_name(entry.path)) continue;
        if (entry.is_folder) throw io_error(entry.path.string() + ": a folder, expected a PNG image");
        out.push_back(entry.path);
    }
    return out;
}

}  // namespace siamese::data::detail
