// SPDX-License-Identifier: MIT
#pragma once

// A fresh folder for a test's files, removed with everything in it.

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace siamese::test {

class TempDir {
public:
    std::filesystem::path path;

    /// Unique across processes (pid) and within one (a counter), so parallel ctest runs never share.
    TempDir() {
        static int counter = 0;
        const auto tick = std::chrono::steady_clock::now().time_since_epoch().count();
        path = std::filesystem::temp_directory_path() /
               ("siamese_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                std::to_string(static_cast<std::uint64_t>(tick) % 1000000));
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::filesystem::path operator/(const std::string& name) const { return path / name; }

    /// Writes bytes to a file in the folder and returns its path.
    std::filesystem::path write(const std::string& name, const std::string& bytes) const {
        std::ofstream(path / name, std::ios::binary) << bytes;
        return path / name;
    }
};

}  // namespace siamese::test
