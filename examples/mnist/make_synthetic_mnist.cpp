// SPDX-License-Identifier: MIT
// Writes a small MNIST-shaped data set in the IDX format, for the example's own tests: ten
// classes of 28x28 images, each class a bar at its own angle plus noise, so a Siamese network
// can learn it in a few dozen steps. Usage: make_synthetic_mnist DIR [train_count test_count]
#include <siamese/random.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

void put_u32(std::ofstream& out, std::uint32_t v) {
    const unsigned char b[4] = {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
                                static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
    out.write(reinterpret_cast<const char*>(b), 4);
}

void write_split(const std::filesystem::path& dir, const std::string& prefix, int count, siamese::Rng& rng) {
    std::ofstream images(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary);
    std::ofstream labels(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary);
    put_u32(images, 2051);
    put_u32(images, static_cast<std::uint32_t>(count));
    put_u32(images, 28);
    put_u32(images, 28);
    put_u32(labels, 2049);
    put_u32(labels, static_cast<std::uint32_t>(count));
    std::vector<unsigned char> pixels(784);
    for (int i = 0; i < count; ++i) {
        const int label = i % 10;
        const double angle = 3.14159265358979 * label / 10.0 + rng.uniform(-0.08, 0.08);
        const double cx = 14 + rng.uniform(-2, 2), cy = 14 + rng.uniform(-2, 2);
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x) {
                // Distance from the line through (cx, cy) at `angle`, within a length of 10.
                const double dx = x - cx, dy = y - cy;
                const double along = dx * std::cos(angle) + dy * std::sin(angle);
                const double across = -dx * std::sin(angle) + dy * std::cos(angle);
                const double ink = (std::abs(along) < 10 && std::abs(across) < 1.6) ? 230 : 0;
                pixels[static_cast<std::size_t>(y * 28 + x)] =
                    static_cast<unsigned char>(std::clamp(ink + rng.uniform(0, 25), 0.0, 255.0));
            }
        images.write(reinterpret_cast<const char*>(pixels.data()), 784);
        const auto l = static_cast<unsigned char>(label);
        labels.write(reinterpret_cast<const char*>(&l), 1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    // An option where DIR goes (--help) would otherwise become a folder of that name.
    if ((argc != 2 && argc != 4) || argv[1][0] == '-') {
        const bool help = argc >= 2 && (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0);
        std::fprintf(help ? stdout : stderr,
                     "usage: %s DIR [train_count test_count]\n"
                     "writes small synthetic MNIST IDX files (train and t10k) for the tests\n",
                     argv[0]);
        return help ? 0 : 2;
    }
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    siamese::Rng rng(7);
    write_split(dir, "train", argc == 4 ? std::stoi(argv[2]) : 600, rng);
    write_split(dir, "t10k", argc == 4 ? std::stoi(argv[3]) : 200, rng);
    return 0;
}
