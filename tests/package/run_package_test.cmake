# Runs one packaging scenario in a fresh directory (cmake -P script).
#   MODE=install     install the build to a prefix, consume with find_package
#   MODE=build_tree  consume the build tree itself through cohort_DIR
#   MODE=embed       embed the source tree with add_subdirectory
cmake_minimum_required(VERSION 3.22)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}")
  endif()
endfunction()

set(dir "${WORK_DIR}/${MODE}")
file(REMOVE_RECURSE "${dir}")
file(MAKE_DIRECTORY "${dir}")

set(common -G Ninja -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
    -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE})
if(COMPILER_LAUNCHER)
  list(APPEND common -DCMAKE_CXX_COMPILER_LAUNCHER=${COMPILER_LAUNCHER})
endif()
if(SANITIZE)
  list(APPEND common "-DCMAKE_CXX_FLAGS=-fsanitize=${SANITIZE}"
       "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE}")
endif()

if(MODE STREQUAL "install")
  run(${CMAKE_COMMAND} --install "${COHORT_BINARY_DIR}" --prefix "${dir}/prefix")
  run(${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${dir}/build" ${common}
      "-DCMAKE_PREFIX_PATH=${dir}/prefix")
  run(${CMAKE_COMMAND} --build "${dir}/build")
  run("${dir}/build/consumer")
  run("${dir}/build/consumer_tests")
elseif(MODE STREQUAL "build_tree")
  run(${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${dir}/build" ${common}
      "-Dcohort_DIR=${COHORT_BINARY_DIR}")
  run(${CMAKE_COMMAND} --build "${dir}/build")
  run("${dir}/build/consumer")
  run("${dir}/build/consumer_tests")
elseif(MODE STREQUAL "embed")
  run(${CMAKE_COMMAND} -S "${EMBED_DIR}" -B "${dir}/build" ${common}
      "-DCOHORT_SOURCE_DIR=${COHORT_SOURCE_DIR}")
  run(${CMAKE_COMMAND} --build "${dir}/build")
  run("${dir}/build/embedder")
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
message(STATUS "package.${MODE}: ok")
