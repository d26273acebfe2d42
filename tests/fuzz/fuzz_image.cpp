// SPDX-License-Identifier: MIT
// libFuzzer target: the examples' image reader (PGM P5/P2 and PNG through stb_image).
#include "fuzz_file.hpp"

// stb_image compiled into the target, so the fuzzer sees its branches too.
#define STB_IMAGE_IMPLEMENTATION

#include "../../examples/common/image_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = fuzz::input_file("image", data, size);
    try {
        const auto img = examples::load_gray_image(path);
        (void)img;
    } catch (const siamese::io_error&) {
    }
    return 0;
}
