# ember_add_test(NAME SRCS ... DEPS ... LABELS ... [TIMEOUT s] [NEEDS_BINARY])
# One GoogleTest binary; every TEST in it becomes a ctest case with the
# labels (unit, integration, mpi, fault, gpu, slow) and the timeout given.
# Every unit-labelled binary is a dependency of the target ember_unit_tests;
# with EMBER_UNIT_TESTS_ONLY (the sanitized build, launch/sanitize.sh) the
# others are not added at all.
function(ember_add_test name)
  cmake_parse_arguments(T "NEEDS_BINARY" "TIMEOUT" "SRCS;LABELS;DEPS" ${ARGN})
  if(EMBER_UNIT_TESTS_ONLY AND NOT "unit" IN_LIST T_LABELS)
    return()
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  add_executable(${name} ${T_SRCS})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  # Tests that run the ember binary find it here.
  target_compile_definitions(${name} PRIVATE EMBER_BINARY_PATH="$<TARGET_FILE:ember>")
  if(T_NEEDS_BINARY)  # runs the ember binary: build it first
    add_dependencies(${name} ember)
  endif()
  if("unit" IN_LIST T_LABELS)
    if(NOT TARGET ember_unit_tests)
      add_custom_target(ember_unit_tests)
    endif()
    add_dependencies(ember_unit_tests ${name})
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "EMBER_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
