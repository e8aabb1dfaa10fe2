# ember_add_test(NAME SRCS ... DEPS ... LABELS ... [TIMEOUT s])
# One GoogleTest binary; every TEST in it becomes a ctest case with the
# labels (unit, integration, mpi, fault, gpu, slow) and the timeout given.
function(ember_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SRCS;LABELS;DEPS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  add_executable(${name} ${T_SRCS})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  # Tests that run the ember binary find it here.
  target_compile_definitions(${name} PRIVATE EMBER_BINARY_PATH="$<TARGET_FILE:ember>")
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "EMBER_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
