// SPDX-License-Identifier: MIT
// libFuzzer target: the library's PNG reader (read_png: libpng's simplified API, then our
// inversion and area-averaging resize). Any input must either decode or throw
// siamese::io_error; never crash, hang or allocate beyond the declared-size limit.
#include "fuzz_file.hpp"

#include <siamese/data/png.hpp>

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = fuzz::input_file("png", data, size);
    try {
        const auto image = siamese::data::read_png(path);
        // Whatever decoded also goes through inversion and resizing, to a size derived from it
        // (shrinking on one axis, enlarging on the other), like the Omniglot loader's.
        siamese::data::PngOptions options;
        options.invert = true;
        options.height = std::max<siamese::index_t>(1, image.height / 3);
        options.width = std::min<siamese::index_t>(image.width * 2 + 1, 64);
        const auto resized = siamese::data::read_png(path, options);
        (void)resized;
    } catch (const siamese::io_error&) {
    }
    return 0;
}
