/* Kernel heap: kmalloc/kfree on top of the frame allocator. Small sizes come
 * from power-of-two size classes carved from pages; large sizes get whole
 * pages. Memory is zeroed (kzalloc semantics) so callers never see stale data. */
#ifndef MM_HEAP_H
#define MM_HEAP_H

#include "hv/compiler.h"

/* Where the heap gets pages: returns a page-aligned pointer to `pages`
 * contiguous pages, or NULL. Freed large blocks go back through page_free. */
struct heap_backend {
	void *(*page_alloc)(uint64_t pages);
	void (*page_free)(void *p, uint64_t pages);
};

/* Starts an empty heap on `backend` (copied). Pages held by an earlier heap
 * are forgotten, not freed: call it once at start-up (tests call it per case). */
void heap_init(const struct heap_backend *backend);
void *kmalloc(size_t size);  /* zeroed, 16-byte aligned; NULL when out of memory or size==0 */
/* NULL is ignored. A pointer kmalloc did not return (or one already freed)
 * is reported ("heap: bad free of %p") and ignored when detectable; it must
 * still point into mapped memory, since kfree reads its page's header. */
void kfree(void *p);

struct heap_stats {
	uint64_t bytes_in_use; /* size class (small) or whole pages (large) of live blocks */
	uint64_t pages_held;   /* pages currently taken from the backend */
	uint64_t allocs, frees; /* successful kmalloc / kfree calls */
};
void heap_get_stats(struct heap_stats *st);

#endif
