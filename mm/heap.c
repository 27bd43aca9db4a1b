/* Kernel heap: power-of-two size classes (16 .. 2048 bytes) carved from
 * single pages, and whole pages for anything larger.
 *
 * Every page the heap owns starts with a header whose first word is a magic
 * value mixed with the page's own address, so kfree() can tell a slab page
 * from a large block from a page the heap never owned (a stale copy of a
 * header elsewhere does not match). A slab page tracks its objects in a
 * bitmap, which also catches double frees. */
#include "mm/heap.h"
#include "hv/log.h"
#include "hv/spinlock.h"
#include "hv/string.h"

#define HEAP_MIN_SHIFT 4  /* 16 bytes: the alignment kmalloc promises */
#define HEAP_MAX_SHIFT 11 /* 2048 bytes: above this, whole pages */
#define HEAP_CLASSES (HEAP_MAX_SHIFT - HEAP_MIN_SHIFT + 1)
#define HEAP_ALIGN (1u << HEAP_MIN_SHIFT)

#define SLAB_MAGIC 0x534c41424845415aULL  /* "SLABHEAZ" */
#define LARGE_MAGIC 0x4c41524745484541ULL /* "LARGEHEA" */

struct slab_page {
	uint64_t magic; /* SLAB_MAGIC ^ page address */
	struct slab_page *prev, *next; /* on its class's list while not full */
	uint16_t cls;
	uint16_t capacity;
	uint16_t in_use;
	uint16_t reserved;
	uint64_t used[4]; /* bit i: object i is allocated */
};

struct large_block {
	uint64_t magic; /* LARGE_MAGIC ^ page address */
	uint64_t pages;
};

#define SLAB_HDR ALIGN_UP(sizeof(struct slab_page), HEAP_ALIGN)
#define LARGE_HDR ALIGN_UP(sizeof(struct large_block), HEAP_ALIGN)

_Static_assert((PAGE_SIZE - SLAB_HDR) >> HEAP_MIN_SHIFT <= 64 * 4,
	       "slab bitmap too small for the smallest class");

static struct {
	struct heap_backend backend;
	bool ready;
	struct slab_page *partial[HEAP_CLASSES];
	struct heap_stats stats;
} heap;

static spinlock_t heap_lock = SPINLOCK_INIT;

void heap_init(const struct heap_backend *backend)
{
	bool ok = backend && backend->page_alloc && backend->page_free;

	spin_lock(&heap_lock);
	memset(&heap, 0, sizeof(heap));
	if (ok) {
		heap.backend = *backend;
		heap.ready = true;
	}
	spin_unlock(&heap_lock);
	if (!ok)
		pr_err("heap: no page backend given");
}

static uint64_t page_magic(const void *page, uint64_t magic)
{
	return magic ^ (uint64_t)(uintptr_t)page;
}

static unsigned int size_class(size_t size)
{
	unsigned int shift = size <= HEAP_ALIGN ? HEAP_MIN_SHIFT
						: 64 - (unsigned int)__builtin_clzll(size - 1);
	return shift - HEAP_MIN_SHIFT;
}

static size_t class_size(unsigned int cls)
{
	return (size_t)1 << (cls + HEAP_MIN_SHIFT);
}

static void *slab_object(struct slab_page *s, unsigned int i)
{
	return (char *)s + SLAB_HDR + i * class_size(s->cls);
}

static void list_push(struct slab_page *s)
{
	struct slab_page **head = &heap.partial[s->cls];

	s->prev = NULL;
	s->next = *head;
	if (*head)
		(*head)->prev = s;
	*head = s;
}

static void list_unlink(struct slab_page *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		heap.partial[s->cls] = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
}

static struct slab_page *slab_new(unsigned int cls)
{
	struct slab_page *s = heap.backend.page_alloc(1);

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->magic = page_magic(s, SLAB_MAGIC);
	s->cls = (uint16_t)cls;
	s->capacity = (uint16_t)((PAGE_SIZE - SLAB_HDR) / class_size(cls));
	heap.stats.pages_held++;
	list_push(s);
	return s;
}

static void *slab_alloc(unsigned int cls)
{
	struct slab_page *s = heap.partial[cls];

	if (!s)
		s = slab_new(cls);
	if (!s)
		return NULL;
	/* A page on the list has a free object: find the first clear bit. */
	for (unsigned int w = 0; w < ARRAY_SIZE(s->used); w++) {
		if (s->used[w] == ~0ULL)
			continue;
		unsigned int i = w * 64 + (unsigned int)__builtin_ctzll(~s->used[w]);
		if (i >= s->capacity)
			break;
		s->used[w] |= 1ULL << (i % 64);
		if (++s->in_use == s->capacity)
			list_unlink(s);
		heap.stats.bytes_in_use += class_size(cls);
		return slab_object(s, i);
	}
	return NULL; /* unreachable while the list invariant holds */
}

static void *large_alloc(size_t size)
{
	if (size > SIZE_MAX - LARGE_HDR - PAGE_SIZE)
		return NULL;
	uint64_t pages = (size + LARGE_HDR + PAGE_SIZE - 1) / PAGE_SIZE;
	struct large_block *b = heap.backend.page_alloc(pages);

	if (!b)
		return NULL;
	memset(b, 0, pages * PAGE_SIZE);
	b->magic = page_magic(b, LARGE_MAGIC);
	b->pages = pages;
	heap.stats.pages_held += pages;
	heap.stats.bytes_in_use += pages * PAGE_SIZE;
	return (char *)b + LARGE_HDR;
}

void *kmalloc(size_t size)
{
	void *p = NULL;

	if (size == 0)
		return NULL;
	spin_lock(&heap_lock);
	if (heap.ready) {
		if (size <= class_size(HEAP_CLASSES - 1)) {
			unsigned int cls = size_class(size);
			p = slab_alloc(cls);
			if (p)
				memset(p, 0, class_size(cls));
		} else {
			p = large_alloc(size);
		}
		if (p)
			heap.stats.allocs++;
	}
	spin_unlock(&heap_lock);
	return p;
}

static bool slab_free(struct slab_page *s, void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)s;

	if (s->cls >= HEAP_CLASSES || off < SLAB_HDR)
		return false;
	off -= SLAB_HDR;
	size_t sz = class_size(s->cls);
	uint64_t i = off / sz;
	if (off % sz || i >= s->capacity || !(s->used[i / 64] & (1ULL << (i % 64))))
		return false;

	s->used[i / 64] &= ~(1ULL << (i % 64));
	if (s->in_use-- == s->capacity)
		list_push(s); /* it was full, so it was on no list */
	heap.stats.bytes_in_use -= sz;

	/* Keep one empty page per class to avoid thrashing the backend on an
	 * alloc/free pair; give the others back. */
	if (s->in_use == 0 && (s->prev || s->next)) {
		list_unlink(s);
		s->magic = 0;
		heap.stats.pages_held--;
		heap.backend.page_free(s, 1);
	}
	return true;
}

static bool large_free(struct large_block *b, void *p)
{
	if ((char *)p != (char *)b + LARGE_HDR)
		return false;
	uint64_t pages = b->pages;
	b->magic = 0;
	heap.stats.pages_held -= pages;
	heap.stats.bytes_in_use -= pages * PAGE_SIZE;
	heap.backend.page_free(b, pages);
	return true;
}

void kfree(void *p)
{
	bool ok = false;

	if (!p)
		return;
	spin_lock(&heap_lock);
	void *page = (void *)ALIGN_DOWN((uintptr_t)p, (uintptr_t)PAGE_SIZE);
	/* Misaligned pointers are rejected before their page is looked at. */
	if (heap.ready && IS_ALIGNED((uintptr_t)p, HEAP_ALIGN) && p != page) {
		uint64_t magic = *(const uint64_t *)page;
		if (magic == page_magic(page, SLAB_MAGIC))
			ok = slab_free(page, p);
		else if (magic == page_magic(page, LARGE_MAGIC))
			ok = large_free(page, p);
	}
	if (ok)
		heap.stats.frees++;
	spin_unlock(&heap_lock);
	if (!ok)
		pr_err("heap: bad free of %p", p);
}

void heap_get_stats(struct heap_stats *st)
{
	spin_lock(&heap_lock);
	*st = heap.stats;
	spin_unlock(&heap_lock);
}
