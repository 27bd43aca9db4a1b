/* Multiboot 1 (spec 0.6.96, s3.3) and multiboot2 (spec 2.0, s3.6) boot
 * information parsers. Everything the loader hands over is untrusted: each
 * structure is reached through phys_map_fn with its exact length, checked
 * against its container, and copied into struct boot_info, so nothing later
 * has to trust (or even touch) the loader's memory again. */
#include "hv/bootinfo.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"

/* Real loader structures (mb2 info, mb1 mmap buffer) are a few KiB; anything
 * beyond this is garbage, and mapping it would only hide the real problem. */
#define MB_MAX_STRUCT_SIZE 0x100000u
#define MB_MAX_STRUCT_TEXT "1 MiB"

/* Framebuffer types, the same numbers in both specs (mb1 s3.3, mb2 s3.6.12). */
#define MB_FB_TYPE_INDEXED 0
#define MB_FB_TYPE_RGB 1
#define MB_FB_TYPE_EGA_TEXT 2

/* --- multiboot 1, spec 0.6.96 s3.3 ------------------------------------- */

/* Bits of the `flags` word: a field is valid only when its bit is set. */
#define MB1_FLAG_MEM (1u << 0)     /* mem_lower, mem_upper */
#define MB1_FLAG_CMDLINE (1u << 2) /* cmdline */
#define MB1_FLAG_MODS (1u << 3)    /* mods_count, mods_addr */
#define MB1_FLAG_MMAP (1u << 6)    /* mmap_length, mmap_addr */
#define MB1_FLAG_FB (1u << 12)     /* framebuffer_* */

/* Byte offsets in the fixed info block. */
#define MB1_OFF_FLAGS 0
#define MB1_OFF_MEM_LOWER 4
#define MB1_OFF_MEM_UPPER 8
#define MB1_OFF_CMDLINE 16
#define MB1_OFF_MODS_COUNT 20
#define MB1_OFF_MODS_ADDR 24
#define MB1_OFF_MMAP_LENGTH 44
#define MB1_OFF_MMAP_ADDR 48
#define MB1_OFF_FB_ADDR 88
#define MB1_OFF_FB_PITCH 96
#define MB1_OFF_FB_WIDTH 100
#define MB1_OFF_FB_HEIGHT 104
#define MB1_OFF_FB_BPP 108
#define MB1_OFF_FB_TYPE 109

/* Module list entry: mod_start, mod_end, string, reserved (all u32). */
#define MB1_MOD_SIZE 16
/* mmap entry after its `size` word: base_addr u64, length u64, type u32.
 * `size` excludes itself, so the next entry is at offset + size + 4. */
#define MB1_MMAP_SIZE_FIELD 4
#define MB1_MMAP_ENTRY_MIN 20

/* --- multiboot2, spec 2.0 s3.6 ------------------------------------------ */

#define MB2_INFO_HDR 8 /* total_size u32, reserved u32 */
#define MB2_TAG_HDR 8  /* type u32, size u32 */
#define MB2_TAG_ALIGN 8
#define MB2_INFO_MIN (MB2_INFO_HDR + MB2_TAG_HDR) /* header + end tag */

#define MB2_TAG_END 0          /* s3.6.1, size 8 */
#define MB2_TAG_CMDLINE 1      /* s3.6.3 */
#define MB2_TAG_MODULE 3       /* s3.6.6 */
#define MB2_TAG_MEMINFO 4      /* s3.6.4 */
#define MB2_TAG_MMAP 6         /* s3.6.8 */
#define MB2_TAG_FRAMEBUFFER 8  /* s3.6.12 */
#define MB2_TAG_ACPI_OLD 14    /* s3.6.15: RSDP v1 copy */
#define MB2_TAG_ACPI_NEW 15    /* s3.6.16: RSDP v2 copy */

#define MB2_MODULE_HDR 16    /* tag header + mod_start u32 + mod_end u32 */
#define MB2_MEMINFO_SIZE 16  /* tag header + mem_lower u32 + mem_upper u32 */
#define MB2_MMAP_HDR 16      /* tag header + entry_size u32 + entry_version u32 */
#define MB2_MMAP_ENTRY_MIN 24 /* base u64, length u64, type u32, reserved u32 */
/* Tag header, addr u64, pitch/width/height u32, bpp u8, type u8. */
#define MB2_FB_MIN_SIZE 30
#define MB2_FB_OFF_ADDR 8
#define MB2_FB_OFF_PITCH 16
#define MB2_FB_OFF_WIDTH 20
#define MB2_FB_OFF_HEIGHT 24
#define MB2_FB_OFF_BPP 28
#define MB2_FB_OFF_TYPE 29

/* ACPI 6.x s5.2.5.3: RSDP v1 is 20 bytes, the v2 (XSDP) 36. */
#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36

/* --- helpers ------------------------------------------------------------ */

/* Little-endian reads assembled from bytes: loader data has no alignment
 * guarantee we want to rely on. */
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

static void add_reserved(struct boot_info *bi, uint64_t base, uint64_t len)
{
	if (len == 0)
		return;
	if (bi->reserved_count >= BOOTINFO_MAX_RESERVED) {
		/* Cannot happen: the table is sized for the worst case. */
		pr_warn("bootinfo: reserved range table full, 0x%llx+0x%llx not recorded",
			ull(base), ull(len));
		return;
	}
	struct mem_range *r = &bi->reserved[bi->reserved_count++];
	r->base = base;
	r->len = len;
	r->type = MEM_RESERVED;
}

/* Copies a string of known length, truncating to fit; true if truncated. */
static bool copy_string(char *dst, size_t cap, const uint8_t *src, size_t len)
{
	bool truncated = len > cap - 1;

	if (truncated)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return truncated;
}

/* Length of the NUL-terminated string at src within max bytes, or -1. */
static long bounded_strlen(const uint8_t *src, uint32_t max)
{
	for (uint32_t i = 0; i < max; i++)
		if (src[i] == 0)
			return (long)i;
	return -1;
}

static enum fb_type fb_type_from_mb(uint8_t t)
{
	switch (t) {
	case MB_FB_TYPE_INDEXED:
		return FB_INDEXED;
	case MB_FB_TYPE_RGB:
		return FB_RGB;
	case MB_FB_TYPE_EGA_TEXT:
		return FB_EGA_TEXT;
	default:
		return FB_NONE;
	}
}

static void set_mmap_entry(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
	struct mem_range *r = &bi->mmap[bi->mmap_count++];

	r->base = base;
	r->len = len;
	r->type = type;
}

static void warn_cmdline_truncated(int proto)
{
	pr_warn("multiboot%d: command line is longer than %u bytes, truncated", proto,
		BOOTINFO_CMDLINE_MAX - 1);
}

/* --- multiboot 1 -------------------------------------------------------- */

/* How much of the fixed block the flags make valid: read no more than that,
 * a loader may place a short block at the very end of readable memory. */
static uint32_t mb1_info_len(uint32_t flags)
{
	if (flags & MB1_FLAG_FB)
		return MB1_OFF_FB_TYPE + 1;
	if (flags & MB1_FLAG_MMAP)
		return MB1_OFF_MMAP_ADDR + 4;
	if (flags & MB1_FLAG_MODS)
		return MB1_OFF_MODS_ADDR + 4;
	if (flags & MB1_FLAG_CMDLINE)
		return MB1_OFF_CMDLINE + 4;
	if (flags & MB1_FLAG_MEM)
		return MB1_OFF_MEM_UPPER + 4;
	return MB1_OFF_FLAGS + 4;
}

enum str_status {
	STR_OK,
	STR_TRUNCATED,   /* no NUL within the buffer: kept what fits */
	STR_UNREADABLE,  /* ran into unreadable memory before a NUL */
};

/* Multiboot 1 strings carry no length: read them a byte at a time so that
 * no byte past the terminator is ever requested. *span is the number of
 * bytes examined (for reserving), *bad the unreadable address. */
static enum str_status mb1_read_string(phys_map_fn map, uint64_t phys, char *buf,
				       size_t cap, uint64_t *span, uint64_t *bad)
{
	const uint8_t *c;

	for (size_t i = 0; i + 1 < cap; i++) {
		c = map(phys + i, 1);
		if (!c) {
			buf[i] = '\0';
			*span = i;
			*bad = phys + i;
			return STR_UNREADABLE;
		}
		buf[i] = (char)*c;
		if (*c == 0) {
			*span = i + 1;
			return STR_OK;
		}
	}
	/* cap - 1 characters kept: it fits exactly if the terminator follows. */
	buf[cap - 1] = '\0';
	c = map(phys + cap - 1, 1);
	if (c && *c == 0) {
		*span = cap;
		return STR_OK;
	}
	*span = cap - 1;
	return STR_TRUNCATED;
}

static int mb1_cmdline(const uint8_t *info, phys_map_fn map, struct boot_info *out)
{
	uint32_t addr = rd32(info + MB1_OFF_CMDLINE);
	uint64_t span = 0, bad = 0;

	switch (mb1_read_string(map, addr, out->cmdline, sizeof(out->cmdline), &span, &bad)) {
	case STR_UNREADABLE:
		if (bad == addr)
			pr_err("multiboot1: cmdline at 0x%x is not readable", addr);
		else
			pr_err("multiboot1: cmdline at 0x%x runs into unreadable memory at 0x%llx",
			       addr, ull(bad));
		return -EINVAL;
	case STR_TRUNCATED:
		warn_cmdline_truncated(1);
		break;
	case STR_OK:
		break;
	}
	add_reserved(out, addr, span);
	return 0;
}

static int mb1_module(phys_map_fn map, const uint8_t *ent, uint32_t idx, struct boot_info *out)
{
	uint32_t start = rd32(ent), end = rd32(ent + 4), str = rd32(ent + 8);
	struct boot_module *m = &out->modules[out->module_count];
	uint64_t span = 0, bad = 0;

	if (end < start) {
		pr_err("multiboot1: module %u: mod_end 0x%x is below mod_start 0x%x", idx, end,
		       start);
		return -EINVAL;
	}
	switch (mb1_read_string(map, str, m->name, sizeof(m->name), &span, &bad)) {
	case STR_UNREADABLE:
		if (bad == str)
			pr_err("multiboot1: module %u string at 0x%x is not readable", idx, str);
		else
			pr_err("multiboot1: module %u string at 0x%x runs into unreadable memory at 0x%llx",
			       idx, str, ull(bad));
		return -EINVAL;
	case STR_TRUNCATED:
		pr_warn("multiboot1: module %u string is longer than %u bytes, truncated", idx,
			BOOTINFO_MODNAME_MAX - 1);
		break;
	case STR_OK:
		break;
	}
	m->start = start;
	m->end = end;
	out->module_count++;
	add_reserved(out, str, span);
	add_reserved(out, start, end - start);
	return 0;
}

static int mb1_modules(const uint8_t *info, phys_map_fn map, struct boot_info *out)
{
	uint32_t count = rd32(info + MB1_OFF_MODS_COUNT);
	uint32_t addr = rd32(info + MB1_OFF_MODS_ADDR);
	uint32_t n = MIN(count, (uint32_t)BOOTINFO_MAX_MODULES);

	if (n == 0)
		return 0;
	/* Only the entries we keep are read (and reserved). */
	const uint8_t *list = map(addr, (uint64_t)n * MB1_MOD_SIZE);
	if (!list) {
		pr_err("multiboot1: module list at 0x%x (%u entries) is not readable", addr, n);
		return -EINVAL;
	}
	add_reserved(out, addr, (uint64_t)n * MB1_MOD_SIZE);
	for (uint32_t i = 0; i < n; i++) {
		int rc = mb1_module(map, list + i * MB1_MOD_SIZE, i, out);
		if (rc)
			return rc;
	}
	if (count > n)
		pr_warn("multiboot1: %u modules, keeping the first %u", count, n);
	return 0;
}

static int mb1_mmap(const uint8_t *info, phys_map_fn map, struct boot_info *out)
{
	uint32_t len = rd32(info + MB1_OFF_MMAP_LENGTH);
	uint32_t addr = rd32(info + MB1_OFF_MMAP_ADDR);
	uint32_t off = 0, total = 0;

	if (len > MB_MAX_STRUCT_SIZE) {
		pr_err("multiboot1: mmap_length 0x%x is larger than " MB_MAX_STRUCT_TEXT, len);
		return -EINVAL;
	}
	if (len == 0)
		return 0;
	const uint8_t *m = map(addr, len);
	if (!m) {
		pr_err("multiboot1: mmap at 0x%x (mmap_length 0x%x) is not readable", addr, len);
		return -EINVAL;
	}
	add_reserved(out, addr, len);
	while (off < len) {
		if (len - off < MB1_MMAP_SIZE_FIELD) {
			pr_err("multiboot1: mmap entry at offset 0x%x runs past mmap_length 0x%x",
			       off, len);
			return -EINVAL;
		}
		uint32_t size = rd32(m + off);
		if (size < MB1_MMAP_ENTRY_MIN) {
			pr_err("multiboot1: mmap entry at offset 0x%x has size %u (minimum %u)", off,
			       size, MB1_MMAP_ENTRY_MIN);
			return -EINVAL;
		}
		if (size > len - off - MB1_MMAP_SIZE_FIELD) {
			pr_err("multiboot1: mmap entry at offset 0x%x (size %u) runs past mmap_length 0x%x",
			       off, size, len);
			return -EINVAL;
		}
		const uint8_t *e = m + off + MB1_MMAP_SIZE_FIELD;
		if (out->mmap_count < BOOTINFO_MAX_MMAP)
			set_mmap_entry(out, rd64(e), rd64(e + 8), rd32(e + 16));
		total++;
		/* size <= len <= 1 MiB: no overflow. */
		off += MB1_MMAP_SIZE_FIELD + size;
	}
	if (total > BOOTINFO_MAX_MMAP)
		pr_warn("multiboot1: memory map has %u entries, keeping the first %u", total,
			BOOTINFO_MAX_MMAP);
	return 0;
}

static void mb1_framebuffer(const uint8_t *info, struct boot_info *out)
{
	uint8_t type = info[MB1_OFF_FB_TYPE];
	struct boot_framebuffer *fb = &out->fb;

	fb->type = fb_type_from_mb(type);
	if (fb->type == FB_NONE) {
		pr_warn("multiboot1: unknown framebuffer type %u, ignored", type);
		return;
	}
	fb->addr = rd64(info + MB1_OFF_FB_ADDR);
	fb->pitch = rd32(info + MB1_OFF_FB_PITCH);
	fb->width = rd32(info + MB1_OFF_FB_WIDTH);
	fb->height = rd32(info + MB1_OFF_FB_HEIGHT);
	fb->bpp = info[MB1_OFF_FB_BPP];
}

int multiboot1_parse(uint64_t info_phys, phys_map_fn map, struct boot_info *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->protocol = 1;

	const uint8_t *info = map(info_phys, MB1_OFF_FLAGS + 4);
	uint32_t need = info ? mb1_info_len(rd32(info + MB1_OFF_FLAGS)) : 4;
	if (info)
		info = map(info_phys, need);
	if (!info) {
		pr_err("multiboot1: info block at 0x%llx (0x%x bytes) is not readable",
		       ull(info_phys), need);
		return -EINVAL;
	}
	uint32_t flags = rd32(info + MB1_OFF_FLAGS);
	out->info_start = info_phys;
	out->info_end = info_phys + need;
	add_reserved(out, info_phys, need);

	if (flags & MB1_FLAG_MEM) {
		out->mem_lower_kib = rd32(info + MB1_OFF_MEM_LOWER);
		out->mem_upper_kib = rd32(info + MB1_OFF_MEM_UPPER);
	}
	if (flags & MB1_FLAG_CMDLINE) {
		rc = mb1_cmdline(info, map, out);
		if (rc)
			return rc;
	}
	if (flags & MB1_FLAG_MODS) {
		rc = mb1_modules(info, map, out);
		if (rc)
			return rc;
	}
	if (flags & MB1_FLAG_MMAP) {
		rc = mb1_mmap(info, map, out);
		if (rc)
			return rc;
	}
	if (flags & MB1_FLAG_FB)
		mb1_framebuffer(info, out);
	return 0;
}

/* --- multiboot2 --------------------------------------------------------- */

struct mb2_state {
	struct boot_info *out;
	bool have_new_rsdp;
	uint32_t modules_seen;
};

/* `t` points at the tag header, `size` bytes are inside total_size. */
typedef int (*mb2_tag_fn)(struct mb2_state *st, const uint8_t *t, uint32_t off, uint32_t size);

static int mb2_cmdline(struct mb2_state *st, const uint8_t *t, uint32_t off, uint32_t size)
{
	long len = bounded_strlen(t + MB2_TAG_HDR, size - MB2_TAG_HDR);

	if (len < 0) {
		pr_err("multiboot2: cmdline tag at offset 0x%x: string is not NUL-terminated", off);
		return -EINVAL;
	}
	if (copy_string(st->out->cmdline, sizeof(st->out->cmdline), t + MB2_TAG_HDR, (size_t)len))
		warn_cmdline_truncated(2);
	return 0;
}

static int mb2_module(struct mb2_state *st, const uint8_t *t, uint32_t off, uint32_t size)
{
	struct boot_info *out = st->out;

	if (size < MB2_MODULE_HDR) {
		pr_err("multiboot2: module tag at offset 0x%x (size %u) is too short", off, size);
		return -EINVAL;
	}
	uint32_t start = rd32(t + 8), end = rd32(t + 12);
	if (end < start) {
		pr_err("multiboot2: module tag at offset 0x%x: mod_end 0x%x is below mod_start 0x%x",
		       off, end, start);
		return -EINVAL;
	}
	long len = bounded_strlen(t + MB2_MODULE_HDR, size - MB2_MODULE_HDR);
	if (len < 0) {
		pr_err("multiboot2: module tag at offset 0x%x: string is not NUL-terminated", off);
		return -EINVAL;
	}
	if (st->modules_seen++ >= BOOTINFO_MAX_MODULES)
		return 0; /* counted, reported once at the end */
	struct boot_module *m = &out->modules[out->module_count++];
	m->start = start;
	m->end = end;
	if (copy_string(m->name, sizeof(m->name), t + MB2_MODULE_HDR, (size_t)len))
		pr_warn("multiboot2: module %u string is longer than %u bytes, truncated",
			out->module_count - 1, BOOTINFO_MODNAME_MAX - 1);
	add_reserved(out, start, end - start);
	return 0;
}

static int mb2_meminfo(struct mb2_state *st, const uint8_t *t, uint32_t off, uint32_t size)
{
	if (size < MB2_MEMINFO_SIZE) {
		pr_err("multiboot2: meminfo tag at offset 0x%x (size %u) is too short", off, size);
		return -EINVAL;
	}
	st->out->mem_lower_kib = rd32(t + 8);
	st->out->mem_upper_kib = rd32(t + 12);
	return 0;
}

static int mb2_mmap(struct mb2_state *st, const uint8_t *t, uint32_t off, uint32_t size)
{
	struct boot_info *out = st->out;

	if (size < MB2_MMAP_HDR) {
		pr_err("multiboot2: mmap tag at offset 0x%x (size %u) is too short", off, size);
		return -EINVAL;
	}
	/* entry_version (t + 12) is ignored: later versions only append fields
	 * (s3.6.8), which entry_size lets us step over. */
	uint32_t esz = rd32(t + 8);
	uint32_t area = size - MB2_MMAP_HDR;
	if (esz < MB2_MMAP_ENTRY_MIN) {
		pr_err("multiboot2: mmap tag at offset 0x%x: entry_size %u is below %u", off, esz,
		       MB2_MMAP_ENTRY_MIN);
		return -EINVAL;
	}
	if (area % esz) {
		pr_err("multiboot2: mmap tag at offset 0x%x: entry_size %u does not divide the %u-byte entry area",
		       off, esz, area);
		return -EINVAL;
	}
	uint32_t n = area / esz;
	out->mmap_count = 0;
	for (uint32_t i = 0; i < n && i < BOOTINFO_MAX_MMAP; i++) {
		const uint8_t *e = t + MB2_MMAP_HDR + i * esz;
		set_mmap_entry(out, rd64(e), rd64(e + 8), rd32(e + 16));
	}
	if (n > BOOTINFO_MAX_MMAP)
		pr_warn("multiboot2: memory map has %u entries, keeping the first %u", n,
			BOOTINFO_MAX_MMAP);
	return 0;
}

static int mb2_framebuffer(struct mb2_state *st, const uint8_t *t, uint32_t off, uint32_t size)
{
	struct boot_framebuffer *fb = &st->out->fb;

	if (size < MB2_FB_MIN_SIZE) {
		pr_err("multiboot2: framebuffer tag at offset 0x%x (size %u) is too short", off, size);
		return -EINVAL;
	}
	uint8_t type = t[MB2_FB_OFF_TYPE];
	memset(fb, 0, sizeof(*fb));
	fb->type = fb_type_from_mb(type);
	if (fb->type == FB_NONE) {
		pr_warn("multiboot2: unknown framebuffer type %u, ignored", type);
		return 0;
	}
	fb->addr = rd64(t + MB2_FB_OFF_ADDR);
	fb->pitch = rd32(t + MB2_FB_OFF_PITCH);
	fb->width = rd32(t + MB2_FB_OFF_WIDTH);
	fb->height = rd32(t + MB2_FB_OFF_HEIGHT);
	fb->bpp = t[MB2_FB_OFF_BPP];
	return 0;
}

static int mb2_acpi_old(struct mb2_state *st, const uint8_t *t, uint32_t off, uint32_t size)
{
	if (size - MB2_TAG_HDR < RSDP_V1_LEN) {
		pr_err("multiboot2: ACPI old RSDP tag at offset 0x%x (size %u) is too short", off,
		       size);
		return -EINVAL;
	}
	/* The v2 copy holds everything the v1 one does, and more. */
	if (st->have_new_rsdp)
		return 0;
	memcpy(st->out->rsdp, t + MB2_TAG_HDR, RSDP_V1_LEN);
	st->out->rsdp_len = RSDP_V1_LEN;
	return 0;
}

static int mb2_acpi_new(struct mb2_state *st, const uint8_t *t, uint32_t off, uint32_t size)
{
	uint32_t len = size - MB2_TAG_HDR;

	if (len < RSDP_V1_LEN) {
		pr_err("multiboot2: ACPI new RSDP tag at offset 0x%x (size %u) is too short", off,
		       size);
		return -EINVAL;
	}
	len = MIN(len, (uint32_t)RSDP_V2_LEN);
	memset(st->out->rsdp, 0, sizeof(st->out->rsdp));
	memcpy(st->out->rsdp, t + MB2_TAG_HDR, len);
	st->out->rsdp_len = len;
	st->have_new_rsdp = true;
	return 0;
}

static mb2_tag_fn mb2_handler(uint32_t type)
{
	switch (type) {
	case MB2_TAG_CMDLINE:
		return mb2_cmdline;
	case MB2_TAG_MODULE:
		return mb2_module;
	case MB2_TAG_MEMINFO:
		return mb2_meminfo;
	case MB2_TAG_MMAP:
		return mb2_mmap;
	case MB2_TAG_FRAMEBUFFER:
		return mb2_framebuffer;
	case MB2_TAG_ACPI_OLD:
		return mb2_acpi_old;
	case MB2_TAG_ACPI_NEW:
		return mb2_acpi_new;
	default:
		return NULL; /* not needed here: skipped */
	}
}

/* Walks the tags of the info block `p` (total_size bytes, already mapped). */
static int mb2_walk(struct mb2_state *st, const uint8_t *p, uint32_t total)
{
	uint32_t off = MB2_INFO_HDR;

	/* total <= 1 MiB, so off + size + alignment cannot overflow. */
	while (off + MB2_TAG_HDR <= total) {
		uint32_t type = rd32(p + off), size = rd32(p + off + 4);

		if (size < MB2_TAG_HDR) {
			pr_err("multiboot2: tag at offset 0x%x (type %u, size %u) is shorter than its header",
			       off, type, size);
			return -EINVAL;
		}
		if (size > total - off) {
			pr_err("multiboot2: tag at offset 0x%x (type %u, size %u) runs past total_size 0x%x",
			       off, type, size, total);
			return -EINVAL;
		}
		if (type == MB2_TAG_END) {
			if (size != MB2_TAG_HDR) {
				pr_err("multiboot2: end tag at offset 0x%x has size %u, expected %u",
				       off, size, MB2_TAG_HDR);
				return -EINVAL;
			}
			return 0;
		}
		mb2_tag_fn fn = mb2_handler(type);
		if (fn) {
			int rc = fn(st, p + off, off, size);
			if (rc)
				return rc;
		}
		off = ALIGN_UP(off + size, (uint32_t)MB2_TAG_ALIGN);
	}
	pr_err("multiboot2: no end tag within total_size 0x%x", total);
	return -EINVAL;
}

int multiboot2_parse(uint64_t info_phys, phys_map_fn map, struct boot_info *out)
{
	struct mb2_state st = { .out = out };

	memset(out, 0, sizeof(*out));
	out->protocol = 2;

	if (!IS_ALIGNED(info_phys, MB2_TAG_ALIGN)) {
		pr_err("multiboot2: info at 0x%llx is not 8-byte aligned", ull(info_phys));
		return -EINVAL;
	}
	const uint8_t *p = map(info_phys, MB2_INFO_HDR);
	if (!p) {
		pr_err("multiboot2: info at 0x%llx is not readable", ull(info_phys));
		return -EINVAL;
	}
	uint32_t total = rd32(p);
	if (total < MB2_INFO_MIN) {
		pr_err("multiboot2: total_size 0x%x is below the minimum 0x%x", total, MB2_INFO_MIN);
		return -EINVAL;
	}
	if (total > MB_MAX_STRUCT_SIZE) {
		pr_err("multiboot2: total_size 0x%x is larger than " MB_MAX_STRUCT_TEXT, total);
		return -EINVAL;
	}
	p = map(info_phys, total);
	if (!p) {
		pr_err("multiboot2: info at 0x%llx (total_size 0x%x) is not readable", ull(info_phys),
		       total);
		return -EINVAL;
	}
	out->info_start = info_phys;
	out->info_end = info_phys + total;
	add_reserved(out, info_phys, total);

	int rc = mb2_walk(&st, p, total);
	if (rc)
		return rc;
	if (st.modules_seen > BOOTINFO_MAX_MODULES)
		pr_warn("multiboot2: %u modules, keeping the first %u", st.modules_seen,
			BOOTINFO_MAX_MODULES);
	return 0;
}

/* --- protocol-neutral --------------------------------------------------- */

int bootinfo_parse(uint32_t magic, uint64_t info_phys, phys_map_fn map, struct boot_info *out)
{
	switch (magic) {
	case MULTIBOOT1_BOOT_MAGIC:
		return multiboot1_parse(info_phys, map, out);
	case MULTIBOOT2_BOOT_MAGIC:
		return multiboot2_parse(info_phys, map, out);
	default:
		memset(out, 0, sizeof(*out));
		pr_err("boot: unknown boot loader magic 0x%x", magic);
		return -EINVAL;
	}
}

/* A range as [base, end); an end past 2^64 saturates (losing the very last
 * byte of the address space, where no RAM lives). */
static uint64_t range_end(const struct mem_range *r)
{
	uint64_t end = r->base + r->len;

	return end < r->base ? UINT64_MAX : end;
}

/* Smallest range boundary strictly above x, or x itself if none. */
static uint64_t next_boundary(const struct mem_range *map, uint32_t n, uint64_t x)
{
	uint64_t best = x;

	for (uint32_t i = 0; i < n; i++) {
		if (map[i].len == 0)
			continue;
		uint64_t b[2] = { map[i].base, range_end(&map[i]) };
		for (int k = 0; k < 2; k++)
			if (b[k] > x && (best == x || b[k] < best))
				best = b[k];
	}
	return best;
}

/* Is address x usable RAM: inside a usable range and inside no other? */
static bool point_usable(const struct mem_range *map, uint32_t n, uint64_t x)
{
	bool usable = false;

	for (uint32_t i = 0; i < n; i++) {
		if (map[i].len == 0 || x < map[i].base || x >= range_end(&map[i]))
			continue;
		if (map[i].type != MEM_USABLE)
			return false;
		usable = true;
	}
	return usable;
}

uint64_t bootinfo_usable_bytes(const struct boot_info *bi, uint32_t *ranges)
{
	struct mem_range synth[2] = {
		{ 0, bi->mem_lower_kib * KiB, MEM_USABLE },
		{ 1 * MiB, bi->mem_upper_kib * KiB, MEM_USABLE },
	};
	const struct mem_range *map = bi->mmap;
	uint32_t n = MIN(bi->mmap_count, (uint32_t)BOOTINFO_MAX_MMAP);
	uint64_t bytes = 0, x = 0;
	uint32_t runs = 0;
	bool prev = false;

	if (n == 0) {
		map = synth;
		n = ARRAY_SIZE(synth);
	}
	/* Sweep the elementary segments between consecutive range boundaries:
	 * coverage is constant inside each, so one probe decides it. O(n^2) on
	 * at most a few hundred boundaries, and no scratch memory. */
	for (;;) {
		uint64_t next = next_boundary(map, n, x);
		if (next == x)
			break;
		bool ok = point_usable(map, n, x);
		if (ok) {
			bytes += next - x;
			if (!prev)
				runs++;
		}
		prev = ok;
		x = next;
	}
	if (ranges)
		*ranges = runs;
	return bytes;
}
