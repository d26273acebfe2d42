// SPDX-License-Identifier: MIT
#pragma once

// Eigen, included in one place (for Tensor's as_matrix view; the kernels do not use it). GCC 12
// reports -W(maybe-)uninitialized inside its own AVX-512 intrinsics when a program's matrix
// products inline Eigen's GEMM packing routines (GCC bug 105593, fixed in GCC 13; sanitizer
// builds see the definite form); the diagnostic state at Eigen's definitions decides, so both
// are silenced for Eigen alone.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <Eigen/Core>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
