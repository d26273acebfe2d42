// SPDX-License-Identifier: MIT
// libFuzzer target: IDX image and label files, plain or gzipped. Any input must either load
// or throw siamese::io_error; never crash, hang or allocate beyond what the file can hold.
#include "fuzz_file.hpp"

#include <siamese/data/idx.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = fuzz::input_file("idx", data, size);
    try {
        const auto images = siamese::data::read_idx_images(path);
        (void)images;
    } catch (const siamese::io_error&) {
    }
    try {
        const auto labels = siamese::data::read_idx_labels(path);
        (void)labels;
    } catch (const siamese::io_error&) {
    }
    return 0;
}
