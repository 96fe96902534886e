cmake_minimum_required(VERSION 3.22)
# Installs longalign to a temporary prefix, builds tests/out_of_tree/plugin against it with the
# chosen compiler (gcc: g++ and libstdc++; clang: clang++ and libc++), then has the installed
# host list the plugins and pass `plugin check` on them, and run a sweep whose cell trains on the
# data source and whose evaluation calls the trained model's service through the evaluator.
file(REMOVE_RECURSE "${WORK_DIR}")
set(PREFIX "${WORK_DIR}/prefix")

include("${CMAKE_CURRENT_LIST_DIR}/../run_checked.cmake")

run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${PREFIX}")

if(COMPILER STREQUAL "clang")
  set(flags -DCMAKE_CXX_COMPILER=clang++ "-DCMAKE_CXX_FLAGS=-stdlib=libc++"
            "-DCMAKE_MODULE_LINKER_FLAGS=-stdlib=libc++")
else()
  set(flags -DCMAKE_CXX_COMPILER=g++)
endif()
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/out_of_tree/plugin" -B "${WORK_DIR}/build" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${PREFIX}" ${flags})
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")

set(plugin "${WORK_DIR}/build/countdown.so")
run(readelf -d "${plugin}")
if(COMPILER STREQUAL "clang" AND NOT OUT MATCHES "libc\\+\\+")
  message(FATAL_ERROR "the clang build does not link libc++:\n${OUT}")
endif()

set(env ${CMAKE_COMMAND} -E env "LONGALIGN_CACHE_DIR=${WORK_DIR}/cache" LONGALIGN_METRICS_PORT=0)
run(${env} "${PREFIX}/bin/longalign" plugin check "${plugin}")
message(STATUS "${OUT}")
run(${env} "${PREFIX}/bin/longalign" plugin check "${WORK_DIR}/build/model-probe.so")
message(STATUS "${OUT}")
run(${env} "${PREFIX}/bin/longalign" plugin check "${WORK_DIR}/build/shortest-first.so")
message(STATUS "${OUT}")
run(${env} "${PREFIX}/bin/longalign" plugin check "${WORK_DIR}/build/sqrt-mean.so")
message(STATUS "${OUT}")

# Every bundled plugin folder is also a template: it configures alone against the installed SDK,
# and two are built and checked that way (one standing by itself, one adding the data sources'
# shared code); once, with g++.
if(COMPILER STREQUAL "gcc")
  file(GLOB folders LIST_DIRECTORIES true "${SOURCE_DIR}/plugins/*")
  foreach(dir ${folders})
    get_filename_component(folder "${dir}" NAME)
    if(NOT EXISTS "${dir}/CMakeLists.txt" OR folder STREQUAL "common")
      continue()
    endif()
    run(${CMAKE_COMMAND} -S "${dir}" -B "${WORK_DIR}/alone/${folder}" -G "${GENERATOR}" "-DCMAKE_PREFIX_PATH=${PREFIX}" ${flags})
  endforeach()
  foreach(folder packing needle)
    run(${CMAKE_COMMAND} --build "${WORK_DIR}/alone/${folder}")
    run(${env} "${PREFIX}/bin/longalign" plugin check "${WORK_DIR}/alone/${folder}/${folder}.so")
    message(STATUS "plugins/${folder} built alone: ${OUT}")
  endforeach()
endif()

file(WRITE "${WORK_DIR}/probe.toml" "name = \"probe\"
seeds = [0]
plugin_dirs = [\"build\"]
[config]
train.max_tokens = 256
batching.plugin = \"shortest-first\"
loss.plugin = \"sqrt-mean\"
[[data]]
name = \"d\"
source = \"countdown\"
params = { count = 16 }
[[evaluate]]
name = \"probe\"
evaluator = \"model-probe\"
")
run(${env} "${PREFIX}/bin/longalign" run "${WORK_DIR}/probe.toml" --db "${WORK_DIR}/probe.sqlite")
run(sqlite3 "${WORK_DIR}/probe.sqlite"
    "SELECT group_concat(metric || '=' || value, ' ') FROM (SELECT metric, value FROM eval_results ORDER BY metric)")
set(want "batch_agrees=1.0 context_size=256.0 generated_at_most_asked=1.0 generations=2.0 logprob_finite_negative=1.0 prompt_tokens=24.0 roundtrip=1.0 scored_tokens=10.0")
if(NOT OUT MATCHES "^${want}")
  message(FATAL_ERROR "the evaluator's calls into the trained model's service answered:\n${OUT}\nwanted:\n${want} ...")
endif()
message(STATUS "model service through an out-of-tree evaluator: ${OUT}")
run(${env} "${PREFIX}/bin/longalign" plugins --json --plugin-dir "${WORK_DIR}/build")
string(JSON n LENGTH "${OUT}" plugins)
set(found "")
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  string(JSON name GET "${OUT}" plugins ${i} name)
  list(APPEND found ${name})
endforeach()
foreach(want countdown shortest-first sqrt-mean naive sorted packing token-mean token-mean-per-row longalign longalign-paper-code synthetic-copy length-mix perplexity)
  if(NOT want IN_LIST found)
    message(FATAL_ERROR "the installed host does not list '${want}' (found: ${found})")
  endif()
endforeach()
message(STATUS "installed host lists: ${found}")
