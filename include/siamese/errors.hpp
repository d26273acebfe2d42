// SPDX-License-Identifier: MIT
#pragma once

#include <stdexcept>
#include <string>

namespace siamese {

/// Base class of every exception the library throws on bad input.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A tensor of the wrong shape reached a layer, loss or kernel.
/// The message names the component, what it expected and what it got.
class shape_error : public error {
public:
    using error::error;
};

/// A file could not be read or written, or its content is malformed.
/// The message names the file and what is wrong with it.
class io_error : public error {
public:
    using error::error;
};

/// Training produced a non-finite value (NaN or infinity).
class numeric_error : public error {
public:
    using error::error;
};

}  // namespace siamese
