# SPDX-License-Identifier: MIT
# Compiler flags for siamese's own tests, examples and benchmarks (never for consumers).

option(SIAMESE_WERROR "Treat warnings as errors in our own targets" OFF)
option(SIAMESE_SANITIZE "Build our own targets with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
set(SIAMESE_ARCH "native" CACHE STRING
    "-march= value for our own targets (native, x86-64-v2, ...); empty for the compiler's default")

# A parent project that adds siamese keeps its own build type.
if(SIAMESE_IS_TOP_LEVEL AND NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
    set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

# siamese_project_flags(target): warnings, the chosen -march, and -Werror when asked.
function(siamese_project_flags target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
    if(SIAMESE_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
    if(SIAMESE_ARCH)
        target_compile_options(${target} PRIVATE -march=${SIAMESE_ARCH})
    endif()
    if(SIAMESE_SANITIZE)
        # Any finding fails the test: UBSan does not recover, ASan aborts by default.
        set(sanitize -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
        target_compile_options(${target} PRIVATE ${sanitize})
        target_link_options(${target} PRIVATE ${sanitize})
    endif()
endfunction()
