# SPDX-License-Identifier: Apache-2.0
# Fuzz harnesses in the normal and sanitizer builds: each is linked with a
# replay main (tests/fuzz/replay_main.c) and runs its checked-in corpus
# once, so seeds and past crash inputs are regression tests everywhere.
# The fuzzing itself is the FUZZ=ON build (tests/fuzz/CMakeLists.txt).
set(_fz ${EVE_TEST_DIR}/fuzz)
function(eve_fuzz_replay name)
  add_executable(${name}_replay ${_fz}/replay_main.c ${_fz}/fuzz_util.c ${ARGN})
  target_include_directories(${name}_replay PRIVATE ${_fz})
  target_link_libraries(${name}_replay PRIVATE ${_fz_libs} evecommon eve_warnings)
  add_test(NAME ${name}_replay COMMAND ${name}_replay ${_fz}/corpus/${name})
  set(_tmp ${CMAKE_CURRENT_BINARY_DIR}/${name}_replay.d)
  file(MAKE_DIRECTORY ${_tmp})
  set_tests_properties(${name}_replay PROPERTIES ENVIRONMENT EVE_FUZZ_TMP=${_tmp})
  set_tests_properties(${name}_replay PROPERTIES LABELS "unit;fuzz-replay" TIMEOUT 120)
endfunction()

set(_fz_libs "")
eve_fuzz_replay(fuzz_envelope ${_fz}/fuzz_envelope.c)
eve_fuzz_replay(fuzz_pbjson ${_fz}/fuzz_pbjson.c)
if(WITH_CONTROLLER)
  set(_fz_libs evecontroller)
  eve_fuzz_replay(fuzz_devapi ${_fz}/fuzz_devapi.c ${_fz}/fuzz_ctl.c)
  eve_fuzz_replay(fuzz_newlogs ${_fz}/fuzz_newlogs.c ${_fz}/fuzz_ctl.c)
endif()
if(WITH_DEVICE AND TARGET everuntime)
  set(_fz_libs everuntime)
  eve_fuzz_replay(fuzz_oci_layer ${_fz}/fuzz_oci_layer.c)
  # a container app's environment file, read by its init shim (issue 15)
  eve_fuzz_replay(fuzz_initenv ${_fz}/fuzz_initenv.c)
endif()

# stored log chunks read back (issue #30, compressed logs)
if(WITH_CONTROLLER)
  set(_fz_libs evecontroller)
  eve_fuzz_replay(fuzz_logchunk ${_fz}/fuzz_logchunk.c)
endif()

# the replicas' cache messages (issue #22)
if(WITH_CONTROLLER)
  set(_fz_libs evecontroller)
  eve_fuzz_replay(fuzz_cachebus ${_fz}/fuzz_cachebus.c)
endif()

# cosign signature manifests and payloads (issue #31)
set(_fz_libs "")
eve_fuzz_replay(fuzz_cosign ${_fz}/fuzz_cosign.c)
# eve-devsim's --state file (issue #30: reruns of a big fleet)
eve_fuzz_replay(fuzz_devsim_state ${_fz}/fuzz_devsim_state.c ${PROJECT_SOURCE_DIR}/bench/devsim/fleet.c
  ${PROJECT_SOURCE_DIR}/bench/devsim/devkey.c)
target_include_directories(fuzz_devsim_state_replay PRIVATE ${PROJECT_SOURCE_DIR}/bench/devsim)
