# Flags for code that runs without an OS under it (the vmkernel, the bench
# guest).  -mcmodel=kernel: the vmkernel links in the top 2 GiB; the guest
# overrides the model it needs.
set(VMK_FREESTANDING_FLAGS
  -ffreestanding -fno-builtin -nostdinc -fno-pic -fno-pie
  -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-avx -mno-80387
  -fno-stack-protector -fno-asynchronous-unwind-tables -fno-omit-frame-pointer
  -fno-strict-aliasing -O2 -g
  -Wall -Wextra -Werror)

# GCC's own freestanding headers (stdint.h, stddef.h, stdbool.h, stdarg.h).
# Passed as a flag: CMake drops it from include_directories() because it is
# one of the compiler's implicit folders, which -nostdinc removed.
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
  OUTPUT_VARIABLE VMK_CC_INCLUDE OUTPUT_STRIP_TRAILING_WHITESPACE)
list(APPEND VMK_FREESTANDING_FLAGS -isystem ${VMK_CC_INCLUDE})

# vmk_freestanding(TARGET): an executable linked with its own script, no libc.
function(vmk_freestanding target ldscript)
  target_compile_options(${target} PRIVATE ${VMK_FREESTANDING_FLAGS})
  target_include_directories(${target} PRIVATE ${VMK_INCLUDE})
  target_link_options(${target} PRIVATE -nostdlib -static -no-pie
    -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-T,${ldscript})
  set_target_properties(${target} PROPERTIES LINK_DEPENDS ${ldscript})
endfunction()

# vmk_freestanding_lib(TARGET SOURCES...): the same plain-C sources a hosted
# library uses, compiled as an OBJECT library with the vmkernel's flags, so
# the portable cores are proven to build freestanding and can be linked into
# the vmkernel image.
function(vmk_freestanding_lib target)
  add_library(${target} OBJECT ${ARGN})
  target_compile_options(${target} PRIVATE ${VMK_FREESTANDING_FLAGS} -mcmodel=kernel)
  target_include_directories(${target} PRIVATE ${VMK_INCLUDE})
  target_compile_definitions(${target} PRIVATE VMK_FREESTANDING=1)
endfunction()

# vmk_freestanding_symbols_test(TARGET ALLOW_REGEX): a unit test that runs
# `nm -u` on an OBJECT library's objects and fails on any undefined symbol
# not matching ALLOW_REGEX (what the library may take from the image).
function(vmk_freestanding_symbols_test target allow)
  add_test(NAME ${target}_symbols
    COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} "-DOBJECTS=$<TARGET_OBJECTS:${target}>"
            "-DALLOW=${allow}" -P ${VMK_ROOT}/cmake/check-undefined.cmake)
  set_tests_properties(${target}_symbols PROPERTIES LABELS unit TIMEOUT 60)
endfunction()
