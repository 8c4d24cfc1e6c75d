// glibc malloc settings for processes that decode many images (see Datasets/ProcessMemory.swift).
#include <malloc.h>
#include "image_codecs.h"

void ditport_keep_freed_memory(long keep_bytes, long heap_allocation_limit) {
#ifdef M_TRIM_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, (int)heap_allocation_limit);
    mallopt(M_TRIM_THRESHOLD, (int)keep_bytes);
#else
    (void)keep_bytes;
    (void)heap_allocation_limit;
#endif
}
