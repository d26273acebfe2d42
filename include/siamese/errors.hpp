// SPDX-License-Identifier: MIT
#pragma once

#include <stdexcept>
#include <string>

namespace siamese {

/// Base class of the errors in the data: a tensor of the wrong shape, a bad file, a non-finite
/// value in training. A bad argument or option (a learning rate of -1, a sampler asked for more
/// classes than there are) is std::invalid_argument, and misuse (backward before forward) is
/// std::logic_error: catch std::exception for all three.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A tensor of the wrong shape reached a layer, loss or kernel; also a buffer whose length is not
/// the one its size or its companions call for (a sampler's index spans, resize_area's planes),
/// a layer geometry that cannot be, and an image index outside the set a scorer was built on.
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
