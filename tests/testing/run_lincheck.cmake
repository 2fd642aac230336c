# Runs cohort_lincheck on one history and checks its exit status and output:
#   cmake -DLINCHECK=<exe> -DINPUT=<file> -DEXPECT_EXIT=<n> -DEXPECT_OUTPUT=<regex>
#         [-DARGS=<;-list>] -P run_lincheck.cmake
execute_process(COMMAND ${LINCHECK} ${ARGS} ${INPUT}
  RESULT_VARIABLE exit_code OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT exit_code EQUAL EXPECT_EXIT)
  message(FATAL_ERROR "cohort_lincheck exited with ${exit_code}, expected ${EXPECT_EXIT}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT_OUTPUT}")
  message(FATAL_ERROR "output does not match: ${EXPECT_OUTPUT}")
endif()
