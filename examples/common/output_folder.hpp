// SPDX-License-Identifier: MIT
#pragma once

// The examples' --out folder, checked before any work so that a long run cannot end unable to
// save what it computed.

#include <siamese/errors.hpp>
#include <siamese/io/atomic_write.hpp>

#include <filesystem>
#include <system_error>

namespace examples {

/// Creates the output folder and checks that files can be written there.
inline std::filesystem::path prepare_output_folder(const std::filesystem::path& out) {
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec || !std::filesystem::is_directory(out)) {
        throw siamese::io_error(out.string() + ": cannot create the output folder: " + ec.message());
    }
    const std::filesystem::path probe = out / ".write_test";
    siamese::io::write_file_atomically(probe, "ok");
    std::filesystem::remove(probe, ec);
    return out;
}

}  // namespace examples
