# SPDX-License-Identifier: MIT
# Helpers for the examples' CMake test scripts (cmake -P):
#   run(OUT cmd args...)            runs the command; on failure stops the script with its output;
#                                   OUT = what it printed on stdout
#   without_timings(TEXT OUT [RE])  TEXT without the lines that differ between two identical runs
#                                   by nature: timings (" s", "time:"), the output folder
#                                   ("wrote "), and any line matching the extra alternative RE
#   same_bytes(A B WHAT)            stops the script with WHAT unless files A and B are identical

function(run out_var)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        string(REPLACE ";" " " cmd "${ARGN}")
        message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
    endif()
    set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

function(without_timings text out_var)
    set(varying " s|time:|wrote ")
    if(ARGC GREATER 2)
        string(APPEND varying "|${ARGV2}")
    endif()
    string(REGEX REPLACE "[^\n]*(${varying})[^\n]*\n" "" text "${text}")
    set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

function(same_bytes a b what)
    file(SHA256 ${a} hash_a)
    file(SHA256 ${b} hash_b)
    if(NOT hash_a STREQUAL hash_b)
        message(FATAL_ERROR "${what}: ${a} and ${b} differ")
    endif()
endfunction()
