// SPDX-License-Identifier: MIT
#pragma once

#define SIAMESE_VERSION_MAJOR 0
#define SIAMESE_VERSION_MINOR 1
#define SIAMESE_VERSION_PATCH 0

namespace siamese {

/// The library version as "major.minor.patch".
inline constexpr const char* version_string = "0.1.0";

}  // namespace siamese
