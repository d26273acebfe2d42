// SPDX-License-Identifier: MIT
#pragma once

// A tiny JSON object writer for the examples' metrics files: flat or nested objects of
// numbers, strings and arrays of numbers, in insertion order.

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace examples {

class JsonObject {
public:
    JsonObject& add(const std::string& key, double value) {
        char buf[64];
        if (std::isfinite(value)) {
            std::snprintf(buf, sizeof buf, "%.10g", value);
        } else {
            std::snprintf(buf, sizeof buf, "null");  // JSON has no NaN or infinity
        }
        return raw(key, buf);
    }
    JsonObject& add(const std::string& key, long value) { return raw(key, std::to_string(value)); }
    JsonObject& add(const std::string& key, int value) { return raw(key, std::to_string(value)); }
    JsonObject& add(const std::string& key, const std::string& value) { return raw(key, quote(value)); }
    JsonObject& add(const std::string& key, const char* value) { return raw(key, quote(value)); }
    JsonObject& add(const std::string& key, const std::vector<double>& values) {
        std::string s = "[";
        for (std::size_t i = 0; i < values.size(); ++i) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%s%.10g", i ? ", " : "", values[i]);
            s += buf;
        }
        return raw(key, s + "]");
    }
    JsonObject& add(const std::string& key, const JsonObject& object) { return raw(key, object.str(indent_ + 2)); }

    [[nodiscard]] std::string str(int indent = 0) const {
        const std::string pad(static_cast<std::size_t>(indent + 2), ' ');
        std::string s = "{\n";
        for (std::size_t i = 0; i < fields_.size(); ++i) {
            s += pad + quote(fields_[i].first) + ": " + fields_[i].second + (i + 1 < fields_.size() ? ",\n" : "\n");
        }
        return s + std::string(static_cast<std::size_t>(indent), ' ') + "}";
    }

private:
    JsonObject& raw(const std::string& key, std::string value) {
        fields_.emplace_back(key, std::move(value));
        return *this;
    }

    static std::string quote(const std::string& s) {
        std::string out = "\"";
        for (const char c : s) {
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                default:
                    if (static_cast<unsigned char>(c) < 0x20) {
                        char buf[8];
                        std::snprintf(buf, sizeof buf, "\\u%04x", c);
                        out += buf;
                    } else {
                        out += c;
                    }
            }
        }
        return out + "\"";
    }

    std::vector<std::pair<std::string, std::string>> fields_;
    int indent_ = 0;
};

}  // namespace examples
