# fuzz/run_fuzzer.cmake: one ctest fuzz case (fuzz/CMakeLists.txt). Copies
# the seed corpus CORPUS to WORK_DIR/corpus (libFuzzer adds what it finds
# to its first corpus dir: never the source tree), runs FUZZER on it for
# SECONDS with the extra ARGS, and fails when it finds a crash, a leak, UB
# or a timeout; the input is then WORK_DIR/artifacts/crash-* (or leak-*,
# timeout-*, oom-*).
#   cmake -DFUZZER=... -DCORPUS=... -DWORK_DIR=... -DSECONDS=5 [-DARGS=...] -P run_fuzzer.cmake
foreach(var FUZZER CORPUS WORK_DIR SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake needs -D${var}=...")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/artifacts)
file(COPY ${CORPUS}/ DESTINATION ${WORK_DIR}/corpus)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -seed=1 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix=${WORK_DIR}/artifacts/ ${ARGS} ${WORK_DIR}/corpus
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} exited with ${rc}: the input is in ${WORK_DIR}/artifacts/")
endif()
