// What every process these tests start inherits. Tests run side by side (ctest -j), and each
// sweep gives its cells every core: OpenMP threads that spin while they wait would then take
// turns with another test's spinning threads on the same cores, slowing both tenfold (seen in
// CI). Sleeping waiters cost a single cell some speed, which the tests do not measure.
#include <cstdlib>

namespace {

const bool kPassiveOpenMp = [] { return setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0) == 0; }();

}  // namespace
