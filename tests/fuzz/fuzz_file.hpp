// SPDX-License-Identifier: MIT
#pragma once

// The loaders under test read files by path, so each fuzz input is written to a per-process file
// in /dev/shm (memory-backed) first.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace fuzz {

inline std::filesystem::path input_file(const char* name, const std::uint8_t* data, std::size_t size) {
    static const std::filesystem::path path =
        std::filesystem::path("/dev/shm") / ("siamese_fuzz_" + std::to_string(::getpid()) + "_" + name);
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f) {
        if (size) std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    return path;
}

}  // namespace fuzz
