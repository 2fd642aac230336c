# Helpers that give every cohort target the same shape:
#   cohort_add_library(<area> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
#     -> target cohort_<area>, alias cohort::<area>, exported as cohort::<area>
#   cohort_add_test(<name> SOURCES ... [DEPS ...])
#     -> gtest executable discovered into ctest at test time
#   cohort_add_benchmark(<name> SOURCES ... [DEPS ...])

set(COHORT_WARNING_FLAGS
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough
  -Wmissing-declarations)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports asio's coroutine frames (class-specific operator new and
  # sized operator delete) as mismatched when it inlines them: a false
  # positive that depends on optimisation decisions.
  list(APPEND COHORT_WARNING_FLAGS -Wno-mismatched-new-delete)
endif()
if(COHORT_WERROR)
  list(APPEND COHORT_WARNING_FLAGS -Werror)
endif()

if(COHORT_SANITIZE)
  string(REPLACE "," ";" _cohort_sanitizers "${COHORT_SANITIZE}")
  string(REPLACE ";" "," _cohort_sanitize_flag "${_cohort_sanitizers}")
  add_compile_options(-fsanitize=${_cohort_sanitize_flag} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_cohort_sanitize_flag})
endif()

# Compile options shared by everything cohort builds itself.
function(cohort_target_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE ${COHORT_WARNING_FLAGS})
endfunction()

function(cohort_add_library area)
  cmake_parse_arguments(ARG "INTERFACE" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(target cohort_${area})
  if(ARG_INTERFACE)
    add_library(${target} INTERFACE)
    target_compile_features(${target} INTERFACE cxx_std_20)
    target_include_directories(${target} INTERFACE
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
    target_link_libraries(${target} INTERFACE ${ARG_PUBLIC_DEPS})
  else()
    add_library(${target} ${ARG_SOURCES})
    cohort_target_defaults(${target})
    target_include_directories(${target}
      PUBLIC
        $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
        $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
      PRIVATE
        ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
    set_target_properties(${target} PROPERTIES
      POSITION_INDEPENDENT_CODE ON
      VERSION ${PROJECT_VERSION}
      SOVERSION ${PROJECT_VERSION_MAJOR})
  endif()
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${area})
  add_library(cohort::${area} ALIAS ${target})
  set_property(GLOBAL APPEND PROPERTY COHORT_EXPORTED_TARGETS ${target})
endfunction()

function(cohort_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  cohort_target_defaults(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} cohort::testing GTest::gmock_main)
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    DISCOVERY_TIMEOUT 120
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()

function(cohort_add_benchmark name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  cohort_target_defaults(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
endfunction()

# cohort_add_fuzzer(<name> SOURCES ... [DEPS ...] CORPUS <dir>)
#   With COHORT_BUILD_FUZZERS (clang): a libFuzzer binary <name>.
#   Otherwise: the same target body linked with tests/support/fuzz_driver.cc
#   and registered with ctest, replaying the corpus plus seeded mutations of it,
#   so that every build exercises every decoder's fuzz target.
function(cohort_add_fuzzer name)
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  cohort_target_defaults(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  if(COHORT_BUILD_FUZZERS)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    set_property(GLOBAL APPEND PROPERTY COHORT_FUZZERS "${name}|${ARG_CORPUS}")
  else()
    target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support/fuzz_driver.cc)
    target_link_libraries(${name} PRIVATE cohort::base)
    add_test(NAME fuzz.${name} COMMAND ${name} --random 20000 ${ARG_CORPUS})
    set_tests_properties(fuzz.${name} PROPERTIES TIMEOUT 600 LABELS fuzz)
  endif()
endfunction()
