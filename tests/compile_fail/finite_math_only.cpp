// SPDX-License-Identifier: MIT
// -ffast-math without SIAMESE_ALLOW_FINITE_MATH must be refused with one readable error.
// flags: -ffast-math
// expect: siamese: built with -ffinite-math-only (part of -ffast-math)
#include <siamese/siamese.hpp>

int main() { return 0; }
