/* Guest e820 map: a sweep over the address space from 0 up. Every range
 * edge (RAM, ACPI, the PC's fixed holes) is a point where the type may
 * change; between two consecutive edges one type holds, so the map is the
 * run-length encoding of type_at() over those pieces. No allocation: the
 * next edge is found by scanning the inputs again (a few RAM ranges). */
#include "hv/e820.h"
#include "hv/errno.h"
#include "hv/format.h"

#define NOT_MAPPED 0 /* a piece the map leaves out */

struct sweep {
	const struct e820_range *ram;
	size_t nram;
	const struct e820_range *acpi;
};

/* Holds for a range ending exactly at 2^64 too (gpa + size wraps to 0). */
static bool contains(const struct e820_range *r, uint64_t a)
{
	return r->size && a >= r->gpa && a - r->gpa < r->size;
}

static bool wraps(const struct e820_range *r)
{
	return r->size && r->size - 1 > UINT64_MAX - r->gpa;
}

static uint32_t type_at(const struct sweep *s, uint64_t a)
{
	bool ram = false;

	if (s->acpi && contains(s->acpi, a))
		return E820_TYPE_ACPI;
	for (size_t i = 0; i < s->nram && !ram; i++)
		ram = contains(&s->ram[i], a);
	if (!ram)
		return NOT_MAPPED;
	/* The PC's holes apply only where there is RAM: below 1 MiB a map
	 * describes the memory the guest has, not the ROMs a PC would have. */
	if (a >= PC_VGA_HOLE_GPA && a < PC_BIOS_GPA)
		return NOT_MAPPED;
	if (a >= PC_EBDA_GPA && a < PC_HIGH_MEM_GPA)
		return E820_TYPE_RESERVED;
	return E820_TYPE_RAM;
}

/* Lowers *next to edge if edge lies above a. 0 in *next means "none yet";
 * an edge of 0 is a range ending at 2^64, which is no edge at all. */
static void consider(uint64_t a, uint64_t edge, uint64_t *next)
{
	if (edge > a && (*next == 0 || edge < *next))
		*next = edge;
}

static void consider_range(const struct e820_range *r, uint64_t a, uint64_t *next)
{
	if (!r->size)
		return;
	consider(a, r->gpa, next);
	consider(a, r->gpa + r->size, next);
}

/* The first edge above a, or 0 if the rest of the address space is one piece. */
static uint64_t next_edge(const struct sweep *s, uint64_t a)
{
	static const uint64_t fixed[] = {PC_EBDA_GPA, PC_VGA_HOLE_GPA, PC_BIOS_GPA, PC_HIGH_MEM_GPA};
	uint64_t next = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		consider(a, fixed[i], &next);
	for (size_t i = 0; i < s->nram; i++)
		consider_range(&s->ram[i], a, &next);
	if (s->acpi)
		consider_range(s->acpi, a, &next);
	return next;
}

int e820_build(const struct e820_range *ram, size_t nram, const struct e820_range *acpi,
	       struct e820_entry *out, size_t max, char *err, size_t errlen)
{
	struct sweep s = {ram, ram ? nram : 0, acpi};
	struct e820_entry cur = {0, 0, NOT_MAPPED};
	size_t count = 0;
	uint64_t pos = 0;

	for (size_t i = 0; i < s.nram; i++)
		if (wraps(&ram[i])) {
			hv_snprintf(err, errlen, "e820: RAM range at 0x%llx (0x%llx bytes) runs past 2^64",
				    (unsigned long long)ram[i].gpa, (unsigned long long)ram[i].size);
			return -EINVAL;
		}
	if (acpi && wraps(acpi)) {
		hv_snprintf(err, errlen, "e820: ACPI range at 0x%llx (0x%llx bytes) runs past 2^64",
			    (unsigned long long)acpi->gpa, (unsigned long long)acpi->size);
		return -EINVAL;
	}

	/* Pieces come in address order; `cur` collects the run being merged
	 * and is stored when a piece of another type, or a gap, ends it. The
	 * count goes on past `max` so the error can say how many were needed. */
	for (;;) {
		uint64_t next = next_edge(&s, pos);
		uint32_t t = type_at(&s, pos);
		if (t != NOT_MAPPED && cur.type == t && cur.addr + cur.size == pos) {
			cur.size += next - pos; /* next == 0: up to 2^64, modular */
		} else if (t != NOT_MAPPED) {
			if (cur.type != NOT_MAPPED && count++ < max)
				out[count - 1] = cur;
			cur = (struct e820_entry){pos, next - pos, t};
		}
		if (!next)
			break;
		pos = next;
	}
	if (cur.type != NOT_MAPPED && count++ < max)
		out[count - 1] = cur;
	if (count > max) {
		hv_snprintf(err, errlen, "e820: the memory map needs %zu entries, more than the %zu allowed",
			    count, max);
		return -ENOSPC;
	}
	return (int)count;
}
