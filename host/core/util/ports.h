// A loopback TCP port that is free now (bound to 0, read back, released): for a rendezvous or a
// test server. Another process may take it before it is used; callers that bind it retry.
#pragma once

namespace longalign::host {

int free_loopback_port();

}  // namespace longalign::host
