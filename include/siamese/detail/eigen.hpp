// SPDX-License-Identifier: MIT
#pragma once

// Eigen, included in one place. GCC 12 reports -W(maybe-)uninitialized inside its own AVX-512
// intrinsics when Eigen's GEMM packing routines are inlined (GCC bug 105593, fixed in GCC 13;
// sanitizer builds see the definite form); the diagnostic state at Eigen's definitions decides,
// so both are silenced for Eigen alone.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <Eigen/Core>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
