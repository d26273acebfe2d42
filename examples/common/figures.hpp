// SPDX-License-Identifier: MIT
#pragma once

// Pictures for the examples: an RGB canvas with scaled grayscale images, frames and captions in
// a small built-in bitmap font, saved as PNG (stb_image_write); and line charts as SVG.

#include <siamese/errors.hpp>
#include <siamese/io/atomic_write.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <stb/stb_image_write.h>

namespace examples {

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
};

inline constexpr Rgb white{255, 255, 255}, black{0, 0, 0}, green{40, 170, 60}, red{210, 50, 40}, grey{90, 90, 90},
    dark{25, 25, 30};

namespace detail {

/// 5x7 glyphs: one string per row, '#' = ink. Only what the captions need.
struct Glyph {
    char c;
    std::array<const char*, 7> rows;
};

inline constexpr Glyph glyphs[] = {
    {'0', {" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "}},
    {'1', {"  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "}},
    {'2', {" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"}},
    {'3', {"#### ", "    #", "    #", " ### ", "    #", "    #", "#### "}},
    {'4', {"   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "}},
    {'5', {"#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "}},
    {'6', {"  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "}},
    {'7', {"#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "}},
    {'8', {" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "}},
    {'9', {" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "}},
    {'.', {"     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "}},
    {'%', {"##  #", "##  #", "   # ", "  #  ", " #   ", "#  ##", "#  ##"}},
    {'A', {" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"}},
    {'D', {"#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "}},
    {'E', {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"}},
    {'F', {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "}},
    {'I', {" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "}},
    {'M', {"#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"}},
    {'S', {" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "}},
    {'Q', {" ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #"}},
    {'?', {" ### ", "#   #", "    #", "   # ", "  #  ", "     ", "  #  "}},
};

inline const Glyph* find_glyph(char c) {
    for (const auto& g : glyphs) {
        if (g.c == c) return &g;
    }
    return nullptr;
}

}  // namespace detail

/// An RGB image to draw figures on.
class Canvas {
public:
    Canvas(int width, int height, Rgb background = white)
        : width_(width), height_(height), pixels_(static_cast<std::size_t>(width * height) * 3) {
        fill_rect(0, 0, width, height, background);
    }

    [[nodiscard]] int width() const noexcept { return width_; }
    [[nodiscard]] int height() const noexcept { return height_; }

    void set(int x, int y, Rgb c) {
        if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
        auto* p = &pixels_[static_cast<std::size_t>((y * width_ + x) * 3)];
        p[0] = c.r;
        p[1] = c.g;
        p[2] = c.b;
    }

    /// The colour at (x, y), which must be on the canvas (for checks of what was drawn).
    [[nodiscard]] Rgb at(int x, int y) const {
        if (x < 0 || y < 0 || x >= width_ || y >= height_) {
            throw std::out_of_range("Canvas::at: (" + std::to_string(x) + ", " + std::to_string(y) +
                                    ") is outside the " + std::to_string(width_) + "x" + std::to_string(height_) +
                                    " canvas");
        }
        const auto* p = &pixels_[static_cast<std::size_t>((y * width_ + x) * 3)];
        return {p[0], p[1], p[2]};
    }

    void fill_rect(int x, int y, int w, int h, Rgb c) {
        for (int j = y; j < y + h; ++j)
            for (int i = x; i < x + w; ++i) set(i, j, c);
    }

    /// A frame of the given thickness drawn inside the rectangle.
    void frame(int x, int y, int w, int h, int thickness, Rgb c) {
        fill_rect(x, y, w, thickness, c);
        fill_rect(x, y + h - thickness, w, thickness, c);
        fill_rect(x, y, thickness, h, c);
        fill_rect(x + w - thickness, y, thickness, h, c);
    }

    /// A grayscale image (0..255 values, row-major) scaled by an integer factor, at (x, y).
    void image(int x, int y, std::span<const float> gray, int w, int h, int scale) {
        for (int j = 0; j < h * scale; ++j)
            for (int i = 0; i < w * scale; ++i) {
                const float v = gray[static_cast<std::size_t>((j / scale) * w + i / scale)];
                const auto g = static_cast<std::uint8_t>(std::clamp(v, 0.0f, 255.0f));
                set(x + i, y + j, {g, g, g});
            }
    }

    /// Text in the built-in 5x7 font (digits, '.', '%', '?', and A D E F I M Q S), scaled.
    void text(int x, int y, const std::string& s, int scale, Rgb c) {
        for (std::size_t k = 0; k < s.size(); ++k) {
            const auto* g = detail::find_glyph(s[k]);
            const int x0 = x + static_cast<int>(k) * 6 * scale;
            if (!g) continue;
            for (int row = 0; row < 7; ++row)
                for (int col = 0; col < 5; ++col)
                    if (g->rows[static_cast<std::size_t>(row)][col] == '#') {
                        fill_rect(x0 + col * scale, y + row * scale, scale, scale, c);
                    }
        }
    }

    [[nodiscard]] static int text_width(const std::string& s, int scale) {
        return s.empty() ? 0 : (static_cast<int>(s.size()) * 6 - 1) * scale;
    }

    /// Saves as PNG, atomically (a temp file renamed into place).
    void save_png(const std::filesystem::path& path) const {
        std::string bytes;
        auto sink = [](void* context, void* data, int size) {
            static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
        };
        if (!stbi_write_png_to_func(sink, &bytes, width_, height_, 3, pixels_.data(), width_ * 3)) {
            throw siamese::io_error(path.string() + ": PNG encoding failed");
        }
        siamese::io::write_file_atomically(path, bytes);
    }

private:
    int width_, height_;
    std::vector<std::uint8_t> pixels_;
};

/// One line of a chart.
struct Series {
    std::string name;
    std::vector<double> x, y;
    std::string colour;
};

/// A line chart as SVG: series sharing an x axis, each panel with its own y axis.
/// `panels` holds, per panel, a y-axis label and its series.
struct Panel {
    std::string y_label;
    std::vector<Series> series;
};

inline std::string format_tick(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", std::abs(v) < 1e-12 ? 0.0 : v);
    return buf;
}

/// Round tick positions covering [lo, hi]: a step of 1, 2 or 5 times a power of ten, about
/// four intervals.
inline std::vector<double> nice_ticks(double lo, double hi) {
    const double raw = (hi - lo) / 4;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    const double step = raw / power < 1.5   ? power
                        : raw / power < 3.5 ? 2 * power
                        : raw / power < 7.5 ? 5 * power
                                            : 10 * power;
    std::vector<double> ticks;
    for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(t);
    return ticks;
}

inline std::string line_chart_svg(const std::string& title, const std::string& x_label,
                                  const std::vector<Panel>& panels) {
    const double width = 720, panel_height = 220, left = 70, right = 160, top = 40, gap = 50;
    const double height = top + static_cast<double>(panels.size()) * (panel_height + gap) + 10;
    std::string svg;
    char buf[512];
    std::snprintf(
        buf, sizeof buf,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
        "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
        "<text x=\"%.0f\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">%s</text>\n",
        width, height, width / 2, title.c_str());
    svg += buf;
    for (std::size_t p = 0; p < panels.size(); ++p) {
        const double y0 = top + static_cast<double>(p) * (panel_height + gap);
        double xmin = 1e300, xmax = -1e300, ymin = 1e300, ymax = -1e300;
        for (const auto& s : panels[p].series)
            for (std::size_t i = 0; i < s.x.size(); ++i) {
                xmin = std::min(xmin, s.x[i]);
                xmax = std::max(xmax, s.x[i]);
                ymin = std::min(ymin, s.y[i]);
                ymax = std::max(ymax, s.y[i]);
            }
        if (xmin > xmax) continue;
        if (xmax == xmin) xmax = xmin + 1;
        const double pad = (ymax - ymin) * 0.05 + 1e-9;
        ymin -= pad;
        ymax += pad;
        const double plot_w = width - left - right;
        auto px = [&](double x) { return left + (x - xmin) / (xmax - xmin) * plot_w; };
        auto py = [&](double y) { return y0 + panel_height - (y - ymin) / (ymax - ymin) * panel_height; };
        std::snprintf(buf, sizeof buf,
                      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#444\"/>\n",
                      left, y0, plot_w, panel_height);
        svg += buf;
        for (const double yv : nice_ticks(ymin, ymax)) {
            std::snprintf(buf, sizeof buf,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                          left, py(yv), left + plot_w, py(yv), left - 6, py(yv) + 4, format_tick(yv).c_str());
            svg += buf;
        }
        for (const double xv : nice_ticks(xmin, xmax)) {
            std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", px(xv),
                          y0 + panel_height + 16, format_tick(xv).c_str());
            svg += buf;
        }
        std::snprintf(buf, sizeof buf,
                      "<text x=\"18\" y=\"%.1f\" transform=\"rotate(-90 18 %.1f)\" text-anchor=\"middle\">%s</text>\n"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                      y0 + panel_height / 2, y0 + panel_height / 2, panels[p].y_label.c_str(), left + plot_w / 2,
                      y0 + panel_height + 34, x_label.c_str());
        svg += buf;
        for (std::size_t s = 0; s < panels[p].series.size(); ++s) {
            const auto& series = panels[p].series[s];
            svg += "<polyline fill=\"none\" stroke=\"" + series.colour + "\" stroke-width=\"1.5\" points=\"";
            for (std::size_t i = 0; i < series.x.size(); ++i) {
                std::snprintf(buf, sizeof buf, "%.1f,%.1f ", px(series.x[i]), py(series.y[i]));
                svg += buf;
            }
            svg += "\"/>\n";
            const double ly = y0 + 16 + 18 * static_cast<double>(s);
            std::snprintf(buf, sizeof buf,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                          width - right + 12, ly - 4, width - right + 32, ly - 4, series.colour.c_str(),
                          width - right + 38, ly, series.name.c_str());
            svg += buf;
        }
    }
    return svg + "</svg>\n";
}

}  // namespace examples
