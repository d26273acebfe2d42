// SPDX-License-Identifier: MIT
// libFuzzer target: class_labels.txt of Lake et al.'s one-shot run format. The input is the file's
// text, in a run folder of three 2x2 class images and two test items; load_one_shot_runs must read
// it or throw siamese::io_error, never crash, hang, or read a path outside the run.
#include <siamese/data/one_shot_runs.hpp>
#include <siamese/data/png.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

namespace {

/// The run folder, made once per process in /dev/shm (memory-backed), removed at exit.
struct RunFolder {
    std::filesystem::path base =
        std::filesystem::path("/dev/shm") / ("siamese_fuzz_runs_" + std::to_string(::getpid()));

    RunFolder() {
        std::filesystem::create_directories(base / "run01" / "training");
        std::filesystem::create_directories(base / "run01" / "test");
        siamese::data::GrayImage image{2, 2, {0, 255, 255, 0}};
        for (const char* name : {"training/class01.png", "training/class02.png", "training/class03.png",
                                 "test/item01.png", "test/item02.png"}) {
            siamese::data::write_png(base / "run01" / name, image);
            image.pixels[0] = static_cast<std::uint8_t>(image.pixels[0] + 40);
        }
    }
    ~RunFolder() {
        std::error_code ignored;
        std::filesystem::remove_all(base, ignored);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const RunFolder folder;
    const std::filesystem::path& base = folder.base;
    std::FILE* f = std::fopen((base / "run01" / "class_labels.txt").c_str(), "wb");
    if (!f) return 0;
    if (size) std::fwrite(data, 1, size, f);
    std::fclose(f);
    try {
        const auto runs = siamese::data::load_one_shot_runs(base);
        (void)runs;
    } catch (const siamese::io_error&) {
    }
    return 0;
}
