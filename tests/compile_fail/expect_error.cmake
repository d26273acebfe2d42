# SPDX-License-Identifier: MIT
# Builds TARGET in BUILD_DIR, expecting the build to fail with exactly one compiler error whose
# text contains EXPECTED.
execute_process(
    COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
if(result EQUAL 0)
    message(FATAL_ERROR "${TARGET} compiled, but it must not:\n${output}")
endif()
string(FIND "${output}" "${EXPECTED}" at)
if(at EQUAL -1)
    message(FATAL_ERROR "${TARGET} failed without the expected message '${EXPECTED}':\n${output}")
endif()
string(REGEX MATCHALL "error:" errors "${output}")
list(LENGTH errors count)
if(NOT count EQUAL 1)
    message(FATAL_ERROR "${TARGET}: expected one compiler error, got ${count}:\n${output}")
endif()
message(STATUS "${TARGET} failed to compile as expected, with one error: ${EXPECTED}")
