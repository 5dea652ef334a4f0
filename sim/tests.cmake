# Tests of the hosted machine itself, included by tests/CMakeLists.txt (which defines
# amphi_test and the image paths).

# Option handling: bad options get one clear line and status 2.
add_test(NAME sim-options
         COMMAND sh ${CMAKE_SOURCE_DIR}/sim/machine/options_test.sh $<TARGET_FILE:amphi>)
set_tests_properties(sim-options PROPERTIES LABELS hosted TIMEOUT 60)
