# One bounded libFuzzer run for CTest: cmake -DFUZZER=... -DSEEDS=dir -DWORK=dir -DRUNS=n
# -DMAX_LEN=n [-DDICT=file] -P run_smoke.cmake. Reads the seeds, writes new inputs (and any crash reproducer)
# under WORK only, which is emptied first so every run starts from the checked-in seeds.
foreach(var FUZZER SEEDS WORK RUNS MAX_LEN)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_smoke.cmake: -D${var}=... is required")
  endif()
endforeach()
set(dict_flag)
if(DEFINED DICT AND EXISTS ${DICT})
  set(dict_flag -dict=${DICT})
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
execute_process(
  COMMAND ${FUZZER} -runs=${RUNS} -max_len=${MAX_LEN} -timeout=10 -rss_limit_mb=2048 -seed=1 ${dict_flag}
          -print_final_stats=1 -artifact_prefix=${WORK}/artifacts/ ${WORK}/corpus ${SEEDS}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(GLOB artifacts ${WORK}/artifacts/*)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); reproducer: ${artifacts}")
endif()
