// Named points where a test can make this process die as if killed -9, the way SQLite's tests
// crash it mid-write: LONGALIGN_CRASH_AT=NAME (or NAME:N, the N-th time the point is reached)
// makes crash_point(NAME) raise SIGKILL there. Unset, each call is one comparison. The points,
// in the order a cell and a sweep reach them, are listed in the README's reliability section.
#pragma once

namespace longalign::host {

void crash_point(const char* name);

}  // namespace longalign::host
