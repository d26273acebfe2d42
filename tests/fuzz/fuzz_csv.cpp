// SPDX-License-Identifier: MIT
// libFuzzer target: the tutorial's CSV format, with 2x2 images so short inputs can be valid.
#include "fuzz_file.hpp"

#include <siamese/data/csv.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = fuzz::input_file("csv", data, size);
    try {
        const auto set = siamese::data::load_csv(path, siamese::Shape{1, 2, 2});
        (void)set;
    } catch (const siamese::io_error&) {
    }
    return 0;
}
