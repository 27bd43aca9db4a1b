/* How parsers reach physical memory. On the machine it is the identity map;
 * in host tests it is a fake address space over test buffers. A parser never
 * dereferences a physical address without asking: NULL means the range is
 * not readable, which parsers report as a truncated/invalid structure. */
#ifndef HV_PHYSMEM_H
#define HV_PHYSMEM_H

#include "hv/compiler.h"

typedef const void *(*phys_map_fn)(uint64_t phys, uint64_t len);

#endif
