// glibc's malloc returns every large free block to the kernel (mmap'ed chunks and a trimmed
// heap), so a training step that frees and reallocates the same activation buffers pays page
// faults and zeroing for each: measured on the training-methods packing cell, 7.3 s with 6.0 s
// of system time by default against 4.3 s and 0.9 s with these settings.
#include <cstddef>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "engine.h"

namespace longalign::engine {

void keep_freed_memory_for_reuse() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest: blocks up to 32 MiB come from the heap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // and stay there once freed
  mallopt(M_TOP_PAD, 256 << 20);
#endif
}

}  // namespace longalign::engine
