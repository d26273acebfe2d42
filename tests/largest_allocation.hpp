// SPDX-License-Identifier: MIT
// Records the largest single operator-new allocation of the process, so that a test can check
// that a file whose header lies about its size does not make a loader allocate what it declares.
// Include it in exactly one translation unit of a test program.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace test_allocations {
inline std::atomic<std::size_t> largest{0};
}  // namespace test_allocations

[[gnu::noinline]] void* operator new(std::size_t n) {
    std::size_t seen = test_allocations::largest.load(std::memory_order_relaxed);
    while (n > seen && !test_allocations::largest.compare_exchange_weak(seen, n)) {
    }
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
// Not inlined: g++ 12 would otherwise see malloc() and free() meet at call sites of new and
// delete and warn of a mismatch (-Wmismatched-new-delete) that is not one.
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
