// longalign-scanner FILE: loads one plugin library and prints what it found as one JSON line.
// The host runs it in a subprocess (like GStreamer's gst-plugin-scanner), so a library that
// crashes or hangs while loading only takes this process down.
#include <cstdio>
#include <iostream>

#include "plugin/scanner.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: longalign-scanner FILE\n");
    return 2;
  }
  std::cout << longalign::host::scan_in_process(argv[1]).dump() << std::endl;
  return 0;
}
