# Install rules and the CMake package, usable both from an install prefix and
# straight from the build tree:
#   find_package(cohort CONFIG REQUIRED)                 # core areas
#   find_package(cohort CONFIG REQUIRED COMPONENTS testing)  # + gtest matchers
include(CMakePackageConfigHelpers)

set(COHORT_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/cohort")

get_property(COHORT_EXPORTED_TARGETS GLOBAL PROPERTY COHORT_EXPORTED_TARGETS)
install(TARGETS ${COHORT_EXPORTED_TARGETS}
  EXPORT cohortTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/cohort
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  PATTERN "testing" EXCLUDE)
install(EXPORT cohortTargets
  NAMESPACE cohort::
  DESTINATION ${COHORT_CMAKE_INSTALL_DIR})

if(TARGET cohort_testing)
  install(TARGETS cohort_testing EXPORT cohortTestingTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY include/cohort/testing
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cohort)
  install(EXPORT cohortTestingTargets
    NAMESPACE cohort::
    DESTINATION ${COHORT_CMAKE_INSTALL_DIR})
  export(EXPORT cohortTestingTargets
    NAMESPACE cohort::
    FILE "${PROJECT_BINARY_DIR}/cohortTestingTargets.cmake")
endif()

configure_package_config_file(cmake/cohortConfig.cmake.in
  "${PROJECT_BINARY_DIR}/cohortConfig.cmake"
  INSTALL_DESTINATION ${COHORT_CMAKE_INSTALL_DIR})
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/cohortConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/cohortConfig.cmake"
  "${PROJECT_BINARY_DIR}/cohortConfigVersion.cmake"
  cmake/FindAsio.cmake
  DESTINATION ${COHORT_CMAKE_INSTALL_DIR})

# Build-tree package: cohort_DIR=<build dir> works without installing.
export(EXPORT cohortTargets
  NAMESPACE cohort::
  FILE "${PROJECT_BINARY_DIR}/cohortTargets.cmake")
configure_file(cmake/FindAsio.cmake "${PROJECT_BINARY_DIR}/FindAsio.cmake" COPYONLY)
