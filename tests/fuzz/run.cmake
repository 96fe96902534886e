cmake_minimum_required(VERSION 3.22)
# Builds the libFuzzer targets with clang and sanitizers in their own tree, then runs each one
# with a fixed seed and run count over its committed corpus. New inputs go to a scratch dir, so
# the committed corpus never changes under CI. libFuzzer orders corpus files of equal size as the
# filesystem lists them, so two clones may explore differently: an input that fails is kept under
# WORK_DIR/artifacts (the failure names it) for `<target>_fuzz <file>` to replay.
include("${CMAKE_CURRENT_LIST_DIR}/../run_checked.cmake")

run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}" -G "${GENERATOR}" -DLONGALIGN_FUZZ=ON
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo)
run(${CMAKE_COMMAND} --build "${WORK_DIR}")

# RUNS lists target=count pairs, comma-separated: "descriptor=300000,sweep=60000".
string(REPLACE "," ";" pairs "${RUNS}")
foreach(pair ${pairs})
  string(REPLACE "=" ";" pair "${pair}")
  list(GET pair 0 target)
  list(GET pair 1 runs)
  set(scratch "${WORK_DIR}/new-inputs/${target}")
  file(REMOVE_RECURSE "${scratch}")
  file(MAKE_DIRECTORY "${scratch}")
  file(MAKE_DIRECTORY "${WORK_DIR}/artifacts")
  run("${WORK_DIR}/bin/${target}_fuzz" -seed=1 -runs=${runs} -max_len=2048
      "-artifact_prefix=${WORK_DIR}/artifacts/${target}-" "${scratch}" "${SOURCE_DIR}/tests/fuzz/corpus/${target}")
  string(REGEX MATCH "Done [0-9]+ runs[^\n]*" done "${ERR}")
  message(STATUS "${target}_fuzz: ${done}")
endforeach()
