// SPDX-License-Identifier: MIT
// Writes a tiny Omniglot-like tree for the example's own tests, no real data needed:
//   DIR/ALPHABET/characterNN/NNNN_MM.png    (black strokes on white, 32x32, MM = drawer)
// Each character is a few random strokes; each drawer draws them shifted and jittered a little,
// so a Siamese network can learn something in a few dozen steps.
// Usage: make_fake_omniglot DIR [alphabets=5 characters=6 drawers=6]
//        make_fake_omniglot --blank FILE    one drawing with no stroke (bad-input tests)
//        make_fake_omniglot --to-corner SRC DST   SRC's ink moved to the top-left corner: the
//                                                 same drawing to the Hausdorff baseline, which
//                                                 centres ink, and another one to raw pixels
#include <siamese/data/png.hpp>
#include <siamese/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr int side = 32;

struct Stroke {
    double x0, y0, x1, y1;
};

void draw_line(std::vector<std::uint8_t>& img, double x0, double y0, double x1, double y1) {
    const int steps = 2 * side;
    for (int k = 0; k <= steps; ++k) {
        const double t = static_cast<double>(k) / steps;
        const int x = static_cast<int>(std::lround(x0 + t * (x1 - x0)));
        const int y = static_cast<int>(std::lround(y0 + t * (y1 - y0)));
        for (int dy = 0; dy <= 1; ++dy)
            for (int dx = 0; dx <= 1; ++dx) {
                const int xx = x + dx, yy = y + dy;
                if (xx >= 0 && yy >= 0 && xx < side && yy < side) img[static_cast<std::size_t>(yy * side + xx)] = 0;
            }
    }
}

/// The drawing with its ink (pixels below 128) moved up and left until it touches both edges.
siamese::data::GrayImage ink_to_corner(const siamese::data::GrayImage& drawing) {
    const siamese::index_t h = drawing.height, w = drawing.width;
    siamese::index_t top = h, left = w;
    for (siamese::index_t y = 0; y < h; ++y)
        for (siamese::index_t x = 0; x < w; ++x)
            if (drawing.pixels[static_cast<std::size_t>(y * w + x)] < 128) {
                top = std::min(top, y);
                left = std::min(left, x);
            }
    if (top == h) throw std::runtime_error("no ink to move");
    siamese::data::GrayImage moved{h, w, std::vector<std::uint8_t>(drawing.pixels.size(), 255)};
    for (siamese::index_t y = top; y < h; ++y)
        for (siamese::index_t x = left; x < w; ++x)
            moved.pixels[static_cast<std::size_t>((y - top) * w + (x - left))] =
                drawing.pixels[static_cast<std::size_t>(y * w + x)];
    return moved;
}

std::string two_digits(int v) {
    std::string s = std::to_string(v);
    while (s.size() < 2) s.insert(s.begin(), '0');
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    const bool blank = argc == 3 && std::strcmp(argv[1], "--blank") == 0;
    const bool to_corner = argc == 4 && std::strcmp(argv[1], "--to-corner") == 0;
    // An option where DIR goes (--help) would otherwise become a folder of that name.
    if (argc < 2 || (argv[1][0] == '-' && !blank && !to_corner)) {
        const bool help = argc >= 2 && (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0);
        std::fprintf(help ? stdout : stderr,
                     "usage: make_fake_omniglot DIR [alphabets characters drawers]\n"
                     "       make_fake_omniglot --blank FILE\n"
                     "       make_fake_omniglot --to-corner SRC DST\n"
                     "writes a small Omniglot-like folder of alphabets (PNG drawings) for the tests\n");
        return help ? 0 : 2;
    }
    try {
        if (blank) {
            siamese::data::write_png(argv[2], {side, side, std::vector<std::uint8_t>(side * side, 255)});
            return 0;
        }
        if (to_corner) {
            siamese::data::write_png(argv[3], ink_to_corner(siamese::data::read_png(argv[2])));
            return 0;
        }
        const std::filesystem::path root = argv[1];
        const int alphabets = argc > 2 ? std::atoi(argv[2]) : 5;
        const int characters = argc > 3 ? std::atoi(argv[3]) : 6;
        const int drawers = argc > 4 ? std::atoi(argv[4]) : 6;
        siamese::Rng rng(42);
        int id = 0;
        for (int a = 0; a < alphabets; ++a) {
            const std::string alphabet = "Alphabet" + std::to_string(a);
            for (int c = 1; c <= characters; ++c, ++id) {
                std::vector<Stroke> strokes(2 + static_cast<std::size_t>(rng.uniform_int(2)));
                for (auto& s : strokes)
                    s = {rng.uniform(4, 27), rng.uniform(4, 27), rng.uniform(4, 27), rng.uniform(4, 27)};
                const auto dir = root / alphabet / ("character" + two_digits(c));
                std::filesystem::create_directories(dir);
                for (int d = 1; d <= drawers; ++d) {
                    siamese::data::GrayImage img{side, side, std::vector<std::uint8_t>(side * side, 255)};
                    const double sx = rng.uniform(-1.5, 1.5), sy = rng.uniform(-1.5, 1.5);
                    for (const auto& s : strokes) {
                        draw_line(img.pixels, s.x0 + sx + rng.uniform(-1, 1), s.y0 + sy + rng.uniform(-1, 1),
                                  s.x1 + sx + rng.uniform(-1, 1), s.y1 + sy + rng.uniform(-1, 1));
                    }
                    char name[32];
                    std::snprintf(name, sizeof name, "%04d_%s.png", id + 1, two_digits(d).c_str());
                    siamese::data::write_png(dir / name, img);
                }
            }
        }
        std::printf("wrote %d alphabets x %d characters x %d drawers under %s\n", alphabets, characters, drawers,
                    root.string().c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_fake_omniglot: %s\n", e.what());
        return 1;
    }
}
