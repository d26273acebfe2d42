# SPDX-License-Identifier: MIT
# Configures, builds and runs a consumer project of siamese.
#   CONSUMER=find_package:     installs SOURCE_DIR into a fresh prefix, then builds the consumer
#                              against it with find_package(siamese CONFIG REQUIRED).
#   CONSUMER=add_subdirectory: builds the consumer, which adds SOURCE_DIR as a subdirectory.

function(run)
    execute_process(COMMAND ${ARGV} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT result EQUAL 0)
        string(REPLACE ";" " " cmd "${ARGV}")
        message(FATAL_ERROR "failed (${result}): ${cmd}\n${out}")
    endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(consumer_source ${SOURCE_DIR}/tests/consumers/${CONSUMER})
set(options -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release)

if(CONSUMER STREQUAL "find_package")
    set(prefix ${WORK_DIR}/prefix)
    run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/library ${options}
        -DSIAMESE_BUILD_TESTS=OFF -DSIAMESE_BUILD_EXAMPLES=OFF -DSIAMESE_BUILD_BENCHMARKS=OFF
        -DSIAMESE_INSTALL=ON -DCMAKE_INSTALL_PREFIX=${prefix})
    run(${CMAKE_COMMAND} --install ${WORK_DIR}/library)
    run(${CMAKE_COMMAND} -S ${consumer_source} -B ${WORK_DIR}/build ${options} -DCMAKE_PREFIX_PATH=${prefix})
else()
    # A parent may also build siamese's own tests and examples (configured only: their flags
    # used to be defined for a top-level build alone).
    run(${CMAKE_COMMAND} -S ${consumer_source} -B ${WORK_DIR}/with_tests ${options} -DSIAMESE_SOURCE_DIR=${SOURCE_DIR}
        -DSIAMESE_BUILD_TESTS=ON -DSIAMESE_BUILD_EXAMPLES=ON)
    run(${CMAKE_COMMAND} -S ${consumer_source} -B ${WORK_DIR}/build ${options} -DSIAMESE_SOURCE_DIR=${SOURCE_DIR})
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
message(STATUS "consumer (${CONSUMER}) built and ran")
