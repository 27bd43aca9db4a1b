/* Linux/x86 boot protocol loader (Documentation/arch/x86/boot.rst and
 * zero-page.rst). The bzImage's setup header is read, copied into a fresh
 * zero page and completed as a boot loader would; the real-mode setup code
 * is not run: the vCPU starts at the protected-mode kernel's 32-bit or
 * 64-bit entry with the state those protocols describe. */
#include <stdarg.h>

#include "hv/linux_boot.h"
#include "hv/errno.h"
#include "hv/format.h"
#include "hv/string.h"
#include "hv/x86.h"

/* Setup header fields: offsets in the bzImage file, which are also their
 * offsets in struct boot_params (boot.rst, "THE REAL-MODE KERNEL HEADER"). */
#define HDR_START 0x1F1 /* setup_sects: the first byte of the header */
#define HDR_SETUP_SECTS 0x1F1
#define HDR_BOOT_FLAG 0x1FE
#define HDR_JUMP_DISP 0x201 /* the jump's 8-bit displacement: header end - 0x202 */
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21C
#define HDR_HEAP_END_PTR 0x224
#define HDR_EXT_LOADER_VER 0x226
#define HDR_EXT_LOADER_TYPE 0x227
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22C
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE_KERNEL 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_HARDWARE_SUBARCH 0x23C
#define HDR_HARDWARE_SUBARCH_DATA 0x240
#define HDR_SETUP_DATA 0x250
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
/* boot_params reserves the header up to edd_mbr_sig_buffer (zero-page.rst):
 * a header claiming more is cut there. */
#define HDR_AREA_END 0x290

#define BOOT_FLAG_MAGIC 0xAA55
#define HDR_MAGIC_HDRS 0x53726448u /* "HdrS" read little-endian */
#define SECTOR_SIZE 512
#define SETUP_SECTS_DEFAULT 4 /* boot.rst: "If this field is 0, the real value is 4." */
#define VERSION_XLOADFLAGS 0x020C /* 2.12: xloadflags, 64-bit entry */
#define VERSION_INIT_SIZE 0x020A  /* 2.10: pref_address, init_size */

/* loadflags and xloadflags bits (boot.rst, field descriptions). */
#define LOADED_HIGH (1u << 0)
#define CAN_USE_HEAP (1u << 7)
#define XLF_KERNEL_64 (1u << 0)

#define TYPE_OF_LOADER_UNDEFINED 0xFF /* boot.rst: "0xFF  Undefined" boot loader */
/* Offset from the (never-run) setup code to the end of its heap, minus
 * 0x200: the value boot.rst's example gives for a 64 KiB setup segment. */
#define HEAP_END_PTR 0xFE00
#define ENTRY64_OFFSET 0x200 /* boot.rst, "64-bit BOOT PROTOCOL": load address + 0x200 */

/* struct boot_params fields outside the setup header (zero-page.rst). */
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0C0
#define BP_EXT_RAMDISK_SIZE 0x0C4
#define BP_EXT_CMD_LINE_PTR 0x0C8
#define BP_E820_ENTRIES 0x1E8
#define BP_E820_TABLE 0x2D0
#define BP_E820_ENTRY_SIZE 20 /* packed: u64 addr, u64 size, u32 type */

/* Long mode: EFER.LMA, SDM 3A 2.2.1 (hv/x86.h has LME only). */
#ifndef EFER_LMA
#define EFER_LMA (1ULL << 10)
#endif
#define RFLAGS_RESERVED_1 (1ULL << 1) /* always set, SDM 1 3.4.3 */

/* Paging-structure entry bits, SDM 3A 4.5 (tables 4-15 to 4-18). */
#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_PS (1ULL << 7)
#define PT_ENTRIES 512
#define PD_COUNT 4 /* 4 page directories of 2 MiB pages: 4 GiB */
#define LARGE_PAGE (2 * MiB)

#define GDT_ENTRIES 4 /* null, unused, __BOOT_CS, __BOOT_DS */
#define FLAT_LIMIT 0xFFFFFFFFu
#define FOUR_GIB (4 * GiB)

/* What load_linux needs from the header, read once. */
struct bzimage {
	const uint8_t *img;
	size_t len;
	size_t setup_size; /* boot sector + setup code: where the kernel starts */
	size_t hdr_end;    /* end of the header to copy, <= HDR_AREA_END */
	uint16_t version;
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t initrd_addr_max, kernel_alignment, cmdline_size, init_size;
	uint8_t relocatable;
	uint64_t pref_address;
};

/* Where things go, decided before anything is written. */
struct placement {
	uint64_t kernel_end; /* end of everything the kernel occupies while it unpacks */
	uint64_t initrd_gpa;
	size_t cmdline_len;
	bool entry64;
};

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static void wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void wr64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static int __printf(3, 4) fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hv_vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t mib_up(uint64_t bytes)
{
	return bytes / MiB + (bytes % MiB != 0);
}

static int parse_header(const uint8_t *img, size_t len, struct bzimage *k, char *err, size_t errlen)
{
	memset(k, 0, sizeof(*k));
	if (!img || len < HDR_AREA_END)
		return fail(err, errlen, "bzImage: %zu bytes is too short for a setup header", len);
	if (rd16(img + HDR_BOOT_FLAG) != BOOT_FLAG_MAGIC)
		return fail(err, errlen, "bzImage: no boot sector signature 0xaa55 at offset 0x1fe");
	if (rd32(img + HDR_MAGIC) != HDR_MAGIC_HDRS)
		return fail(err, errlen, "bzImage: no \"HdrS\" setup header signature at offset 0x202");
	k->version = rd16(img + HDR_VERSION);
	if (k->version < LINUX_MIN_VERSION)
		return fail(err, errlen, "bzImage: setup header version %u.%02u is older than %u.%02u",
			    k->version >> 8, k->version & 0xFF, LINUX_MIN_VERSION >> 8, LINUX_MIN_VERSION & 0xFF);
	k->loadflags = img[HDR_LOADFLAGS];
	if (!(k->loadflags & LOADED_HIGH))
		return fail(err, errlen, "bzImage: LOADED_HIGH is clear in loadflags: a zImage for 0x10000, not supported");

	unsigned int sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : SETUP_SECTS_DEFAULT;
	k->setup_size = (size_t)(sects + 1) * SECTOR_SIZE;
	if (k->setup_size > len)
		return fail(err, errlen, "bzImage: %u setup sectors run past the end of the %zu-byte image", sects,
			    len);
	if (k->setup_size == len)
		return fail(err, errlen, "bzImage: no protected-mode kernel after the %u setup sectors", sects);

	k->img = img;
	k->len = len;
	k->hdr_end = MIN((size_t)HDR_MAGIC + img[HDR_JUMP_DISP], (size_t)HDR_AREA_END);
	k->initrd_addr_max = rd32(img + HDR_INITRD_ADDR_MAX);
	k->kernel_alignment = rd32(img + HDR_KERNEL_ALIGNMENT);
	k->relocatable = img[HDR_RELOCATABLE_KERNEL];
	k->cmdline_size = rd32(img + HDR_CMDLINE_SIZE);
	if (k->version >= VERSION_INIT_SIZE) {
		k->pref_address = rd64(img + HDR_PREF_ADDRESS);
		k->init_size = rd32(img + HDR_INIT_SIZE);
	}
	if (k->version >= VERSION_XLOADFLAGS)
		k->xloadflags = rd16(img + HDR_XLOADFLAGS);
	return 0;
}

/* Where the kernel will run once it has decompressed itself (boot.rst on
 * pref_address, relocatable_kernel and kernel_alignment): a non-relocatable
 * kernel moves to pref_address; a relocatable one runs at its load address
 * rounded up to kernel_alignment, but never below pref_address. */
static uint64_t runtime_start(const struct bzimage *k)
{
	uint64_t at = LINUX_KERNEL_GPA;
	uint64_t align = k->kernel_alignment;

	if (k->version < VERSION_INIT_SIZE)
		return at; /* no pref_address: it runs where it was loaded */
	if (!k->relocatable)
		return k->pref_address ? k->pref_address : at;
	if (align && !(align & (align - 1)))
		at = ALIGN_UP(at, align);
	return MAX(at, k->pref_address);
}

/* End of the usable e820 entry holding gpa, or 0 if none does. */
static uint64_t usable_end_at(const struct linux_boot_params *p, uint64_t gpa)
{
	for (size_t i = 0; i < p->e820_count; i++) {
		const struct e820_entry *e = &p->e820[i];
		if (e->type == E820_TYPE_RAM && gpa >= e->addr && gpa - e->addr < e->size)
			return sat_add(e->addr, e->size);
	}
	return 0;
}

/* The kernel file lands at LINUX_KERNEL_GPA and unpacks into init_size
 * bytes at its runtime address: both must be usable RAM below 4 GiB (the
 * 32-bit entry cannot reach past it; the 64-bit entry's map ends there). */
static int place_kernel(const struct guest_mem *mem, const struct linux_boot_params *p,
			const struct bzimage *k, struct placement *pl, char *err, size_t errlen)
{
	uint64_t file_end = LINUX_KERNEL_GPA + (k->len - k->setup_size);
	uint64_t run_end = sat_add(runtime_start(k), k->init_size);
	uint64_t avail = MIN(MIN(usable_end_at(p, LINUX_KERNEL_GPA), mem->ram_size), FOUR_GIB);

	pl->kernel_end = MAX(file_end, run_end);
	if (pl->kernel_end > avail)
		return fail(err, errlen, "bzImage: kernel needs %llu MiB (init_size) but the VM has %llu MiB",
			    (unsigned long long)mib_up(pl->kernel_end), (unsigned long long)(avail / MiB));
	return 0;
}

/* As high as possible (boot.rst: the initrd should go high, below
 * initrd_addr_max), page aligned, wholly inside one usable e820 entry,
 * above everything the kernel occupies. */
static int place_initrd(const struct guest_mem *mem, const struct linux_boot_params *p,
			const struct bzimage *k, struct placement *pl, char *err, size_t errlen)
{
	uint64_t size = p->initrd_len;
	uint64_t floor = ALIGN_UP(pl->kernel_end, PAGE_SIZE);
	uint64_t ceiling = MIN(MIN((uint64_t)k->initrd_addr_max + 1, FOUR_GIB), mem->ram_size);
	bool found = false;

	pl->initrd_gpa = 0;
	if (!size)
		return 0;
	if (!p->initrd)
		return fail(err, errlen, "bzImage: initrd of %zu bytes given without its data", p->initrd_len);
	for (size_t i = 0; i < p->e820_count; i++) {
		const struct e820_entry *e = &p->e820[i];
		if (e->type != E820_TYPE_RAM)
			continue;
		uint64_t lo = MAX(e->addr, floor);
		uint64_t hi = MIN(sat_add(e->addr, e->size), ceiling);
		if (hi <= lo || hi - lo < size)
			continue;
		uint64_t at = ALIGN_DOWN(hi - size, PAGE_SIZE);
		if (at >= lo && (!found || at > pl->initrd_gpa)) {
			pl->initrd_gpa = at;
			found = true;
		}
	}
	if (!found)
		return fail(err, errlen, "bzImage: initrd (%zu bytes) does not fit in usable RAM between 0x%llx and 0x%llx",
			    p->initrd_len, (unsigned long long)floor, (unsigned long long)ceiling);
	return 0;
}

static int check_cmdline(const struct linux_boot_params *p, const struct bzimage *k, struct placement *pl,
			 char *err, size_t errlen)
{
	/* cmdline_size excludes the terminating NUL (boot.rst). */
	uint64_t area = LINUX_CMDLINE_MAX - 1;
	uint64_t limit = MIN((uint64_t)k->cmdline_size, area);
	const char *s = p->cmdline ? p->cmdline : "";
	size_t n = strnlen(s, (size_t)limit + 1);

	pl->cmdline_len = n;
	if (n <= limit)
		return 0;
	if (limit == k->cmdline_size)
		return fail(err, errlen, "bzImage: command line is longer than the %llu bytes the kernel accepts (cmdline_size)",
			    (unsigned long long)limit);
	return fail(err, errlen, "bzImage: command line is longer than the loader's %llu-byte area",
		    (unsigned long long)limit);
}

/* The setup header copied from the image (boot.rst: from 0x1F1 to the end
 * the jump at 0x200 gives) and completed with the boot loader's fields.
 * hdr[0] is offset HDR_START of the image and of the zero page. */
#define HDR_FIELD(hdr, off) ((hdr) + ((off) - HDR_START))

static void fill_header(const struct bzimage *k, const struct placement *pl, size_t initrd_len,
			uint8_t hdr[HDR_AREA_END - HDR_START])
{
	memset(hdr, 0, HDR_AREA_END - HDR_START);
	memcpy(hdr, k->img + HDR_START, k->hdr_end - HDR_START);
	*HDR_FIELD(hdr, HDR_TYPE_OF_LOADER) = TYPE_OF_LOADER_UNDEFINED;
	*HDR_FIELD(hdr, HDR_LOADFLAGS) = k->loadflags | CAN_USE_HEAP;
	wr32(HDR_FIELD(hdr, HDR_CODE32_START), (uint32_t)LINUX_KERNEL_GPA);
	wr32(HDR_FIELD(hdr, HDR_RAMDISK_IMAGE), (uint32_t)pl->initrd_gpa);
	wr32(HDR_FIELD(hdr, HDR_RAMDISK_SIZE), (uint32_t)initrd_len);
	wr16(HDR_FIELD(hdr, HDR_HEAP_END_PTR), HEAP_END_PTR);
	*HDR_FIELD(hdr, HDR_EXT_LOADER_VER) = 0;
	*HDR_FIELD(hdr, HDR_EXT_LOADER_TYPE) = 0;
	wr32(HDR_FIELD(hdr, HDR_CMD_LINE_PTR), (uint32_t)LINUX_CMDLINE_GPA);
	/* Loader-written fields the image has no business presetting: a plain
	 * PC (hardware_subarch 0) and no setup_data list. */
	wr32(HDR_FIELD(hdr, HDR_HARDWARE_SUBARCH), 0);
	wr64(HDR_FIELD(hdr, HDR_HARDWARE_SUBARCH_DATA), 0);
	wr64(HDR_FIELD(hdr, HDR_SETUP_DATA), 0);
}

static int write_zero_page(const struct guest_mem *mem, const struct linux_boot_params *p,
			   const struct bzimage *k, const struct placement *pl)
{
	uint8_t hdr[HDR_AREA_END - HDR_START];
	uint8_t v[8];
	int r;

	/* boot.rst, 64-bit protocol: the zero page starts out all zero. */
	r = mem->zero(mem->ctx, LINUX_ZERO_PAGE_GPA, LINUX_ZERO_PAGE_SIZE);
	fill_header(k, pl, p->initrd_len, hdr);
	if (!r)
		r = mem->write(mem->ctx, LINUX_ZERO_PAGE_GPA + HDR_START, hdr, sizeof(hdr));
	wr64(v, p->rsdp_gpa);
	if (!r)
		r = mem->write(mem->ctx, LINUX_ZERO_PAGE_GPA + BP_ACPI_RSDP_ADDR, v, 8);
	/* High halves of the 64-bit initrd and command-line addresses: both
	 * sit below 4 GiB here. */
	wr32(v, (uint32_t)(pl->initrd_gpa >> 32));
	wr32(v + 4, (uint32_t)((uint64_t)p->initrd_len >> 32));
	if (!r)
		r = mem->write(mem->ctx, LINUX_ZERO_PAGE_GPA + BP_EXT_RAMDISK_IMAGE, v, 8);
	wr32(v, (uint32_t)(LINUX_CMDLINE_GPA >> 32));
	if (!r)
		r = mem->write(mem->ctx, LINUX_ZERO_PAGE_GPA + BP_EXT_CMD_LINE_PTR, v, 4);
	v[0] = (uint8_t)p->e820_count;
	if (!r)
		r = mem->write(mem->ctx, LINUX_ZERO_PAGE_GPA + BP_E820_ENTRIES, v, 1);
	for (size_t i = 0; i < p->e820_count && !r; i++) {
		uint8_t e[BP_E820_ENTRY_SIZE];
		wr64(e, p->e820[i].addr);
		wr64(e + 8, p->e820[i].size);
		wr32(e + 16, p->e820[i].type);
		r = mem->write(mem->ctx, LINUX_ZERO_PAGE_GPA + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE, e, sizeof(e));
	}
	return r;
}

/* A GDT descriptor (SDM 3A 3.4.5) from the VMX access-rights layout of
 * struct segment.attrib: its low byte is descriptor byte 5 (type, S, DPL,
 * P) and bits 12-15 are the flags nibble of byte 6 (AVL, L, D/B, G). */
static uint64_t gdt_descriptor(uint32_t base, uint32_t limit, uint16_t attrib)
{
	if (attrib & SEG_G)
		limit >>= 12;
	return (uint64_t)(limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) |
	       ((uint64_t)(attrib & 0xFF) << 40) | ((uint64_t)((limit >> 16) & 0xF) << 48) |
	       ((uint64_t)((attrib >> 12) & 0xF) << 52) | ((uint64_t)(base >> 24) << 56);
}

static struct segment flat_segment(uint16_t selector, uint16_t attrib)
{
	return (struct segment){.base = 0, .limit = FLAT_LIMIT, .selector = selector, .attrib = attrib};
}

/* The cached segment state and the GDT in guest memory agree, so a reload
 * of any selector by the kernel changes nothing until it loads its own. */
static uint16_t code_attrib(bool entry64)
{
	return SEG_TYPE_CODE_RX_ACCESSED | SEG_S | SEG_P | SEG_G | (entry64 ? SEG_L : SEG_DB);
}

static const uint16_t data_attrib = SEG_TYPE_DATA_RW_ACCESSED | SEG_S | SEG_P | SEG_DB | SEG_G;

static int write_gdt(const struct guest_mem *mem, bool entry64)
{
	uint64_t gdt[GDT_ENTRIES] = {0};
	gdt[LINUX_BOOT_CS / 8] = gdt_descriptor(0, FLAT_LIMIT, code_attrib(entry64));
	gdt[LINUX_BOOT_DS / 8] = gdt_descriptor(0, FLAT_LIMIT, data_attrib);
	return mem->write(mem->ctx, LINUX_GDT_GPA, gdt, sizeof(gdt));
}

/* Identity map of 0-4 GiB with 2 MiB pages: PML4[0] -> PDPT[0..3] -> four
 * page directories. Written in small pieces to keep the stack small. */
static int write_page_tables(const struct guest_mem *mem)
{
	const uint64_t pml4 = LINUX_PT_GPA, pdpt = pml4 + PAGE_SIZE, pd = pdpt + PAGE_SIZE;
	uint64_t t[64];
	int r;

	r = mem->zero(mem->ctx, pml4, 2 * PAGE_SIZE);
	t[0] = pdpt | PTE_P | PTE_W;
	if (!r)
		r = mem->write(mem->ctx, pml4, t, sizeof(t[0]));
	for (unsigned int i = 0; i < PD_COUNT; i++)
		t[i] = (pd + i * PAGE_SIZE) | PTE_P | PTE_W;
	if (!r)
		r = mem->write(mem->ctx, pdpt, t, PD_COUNT * sizeof(t[0]));
	for (unsigned int n = 0; n < PD_COUNT * PT_ENTRIES && !r; n += ARRAY_SIZE(t)) {
		for (unsigned int i = 0; i < ARRAY_SIZE(t); i++)
			t[i] = (uint64_t)(n + i) * LARGE_PAGE | PTE_P | PTE_W | PTE_PS;
		r = mem->write(mem->ctx, pd + n * sizeof(t[0]), t, sizeof(t));
	}
	return r;
}

/* boot.rst, "32-bit BOOT PROTOCOL" and "64-bit BOOT PROTOCOL": flat
 * __BOOT_CS/__BOOT_DS, interrupts off, %esi/%rsi = zero page, %ebp, %edi,
 * %ebx zero; for 64-bit also paging on with the identity map. */
static void entry_state(struct boot_state *st, bool entry64)
{
	boot_state_reset(st);
	memset(&st->regs, 0, sizeof(st->regs));
	st->regs.rflags = RFLAGS_RESERVED_1;
	st->regs.gpr[GPR_RSI] = LINUX_ZERO_PAGE_GPA;
	st->sregs.cs = flat_segment(LINUX_BOOT_CS, code_attrib(entry64));
	st->sregs.ds = st->sregs.es = st->sregs.fs = st->sregs.gs = st->sregs.ss =
		flat_segment(LINUX_BOOT_DS, data_attrib);
	st->sregs.gdt = (struct dtable){.base = LINUX_GDT_GPA, .limit = GDT_ENTRIES * 8 - 1};
	/* No IDT: with interrupts off, an early exception shuts the guest down
	 * instead of vectoring through whatever lies at address 0. */
	st->sregs.idt = (struct dtable){.base = 0, .limit = 0};
	st->sregs.cr0 = CR0_PE | CR0_ET | CR0_NE;
	if (entry64) {
		st->sregs.cr0 |= CR0_PG;
		st->sregs.cr3 = LINUX_PT_GPA;
		st->sregs.cr4 = CR4_PAE;
		st->sregs.efer = EFER_LME | EFER_LMA;
		st->regs.rip = LINUX_KERNEL_GPA + ENTRY64_OFFSET;
	} else {
		st->regs.rip = LINUX_KERNEL_GPA; /* code32_start, as written into the zero page */
	}
}

static int write_all(const struct guest_mem *mem, const struct linux_boot_params *p, const struct bzimage *k,
		     const struct placement *pl, char *err, size_t errlen)
{
	const char *cmdline = p->cmdline ? p->cmdline : "";

	if (mem->write(mem->ctx, LINUX_KERNEL_GPA, k->img + k->setup_size, k->len - k->setup_size))
		return fail(err, errlen, "bzImage: cannot write the kernel at 0x%llx",
			    (unsigned long long)LINUX_KERNEL_GPA);
	if (p->initrd_len && mem->write(mem->ctx, pl->initrd_gpa, p->initrd, p->initrd_len))
		return fail(err, errlen, "bzImage: cannot write the initrd at 0x%llx",
			    (unsigned long long)pl->initrd_gpa);
	if (mem->write(mem->ctx, LINUX_CMDLINE_GPA, cmdline, pl->cmdline_len + 1))
		return fail(err, errlen, "bzImage: cannot write the command line at 0x%llx",
			    (unsigned long long)LINUX_CMDLINE_GPA);
	if (write_zero_page(mem, p, k, pl))
		return fail(err, errlen, "bzImage: cannot write the zero page at 0x%llx",
			    (unsigned long long)LINUX_ZERO_PAGE_GPA);
	if (write_gdt(mem, pl->entry64))
		return fail(err, errlen, "bzImage: cannot write the boot GDT at 0x%llx",
			    (unsigned long long)LINUX_GDT_GPA);
	if (pl->entry64 && write_page_tables(mem))
		return fail(err, errlen, "bzImage: cannot write the page tables at 0x%llx",
			    (unsigned long long)LINUX_PT_GPA);
	return 0;
}

int load_linux(const struct guest_mem *mem, const struct linux_boot_params *p, struct boot_state *st,
	       char *err, size_t errlen)
{
	struct bzimage k;
	struct placement pl = {0};
	int r;

	r = parse_header(p->kernel, p->kernel_len, &k, err, errlen);
	if (r)
		return r;
	if (!p->e820 || !p->e820_count)
		return fail(err, errlen, "bzImage: no e820 memory map to give the kernel");
	if (p->e820_count > LINUX_E820_MAX)
		return fail(err, errlen, "bzImage: the e820 map has %zu entries, the zero page holds at most %d",
			    p->e820_count, LINUX_E820_MAX);
	r = check_cmdline(p, &k, &pl, err, errlen);
	if (!r)
		r = place_kernel(mem, p, &k, &pl, err, errlen);
	if (!r)
		r = place_initrd(mem, p, &k, &pl, err, errlen);
	if (r)
		return r;
	pl.entry64 = k.version >= VERSION_XLOADFLAGS && (k.xloadflags & XLF_KERNEL_64);
	r = write_all(mem, p, &k, &pl, err, errlen);
	if (r)
		return r;
	entry_state(st, pl.entry64);
	return 0;
}
