/* Linux bzImage loading: what a kernel entering through the 32-bit or
 * 64-bit boot protocol finds in guest memory (kernel, zero page, command
 * line, initrd, e820 map, GDT, page tables) and in its registers; broken
 * images and impossible placements are refused with a message. The images
 * are synthetic: a setup header with the fields the loader reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/linux_boot.h"

#define RAM (64ULL << 20)
#define FILL 0xCC

/* Guest memory: a host buffer, every access bounds-checked; accesses that
 * touch [refuse_lo, refuse_hi) fail as if that range were not RAM. */
struct fake_ram {
	uint8_t *buf;
	uint64_t size;
	uint64_t refuse_lo, refuse_hi;
};

static struct fake_ram fr;

static bool allowed(const struct fake_ram *f, uint64_t gpa, size_t len)
{
	if (gpa > f->size || len > f->size - gpa)
		return false;
	return !(gpa < f->refuse_hi && gpa + len > f->refuse_lo);
}

static int fake_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct fake_ram *f = ctx;
	if (!allowed(f, gpa, len))
		return -EFAULT;
	memcpy(f->buf + gpa, src, len);
	return 0;
}

static int fake_zero(void *ctx, uint64_t gpa, size_t len)
{
	struct fake_ram *f = ctx;
	if (!allowed(f, gpa, len))
		return -EFAULT;
	memset(f->buf + gpa, 0, len);
	return 0;
}

static struct guest_mem mem = {fake_write, fake_zero, RAM, &fr};

static uint16_t get16(uint64_t gpa)
{
	uint16_t v;
	assert_true(gpa + 2 <= RAM);
	memcpy(&v, fr.buf + gpa, 2);
	return v;
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;
	assert_true(gpa + 4 <= RAM);
	memcpy(&v, fr.buf + gpa, 4);
	return v;
}

static uint64_t get64(uint64_t gpa)
{
	uint64_t v;
	assert_true(gpa + 8 <= RAM);
	memcpy(&v, fr.buf + gpa, 8);
	return v;
}

static uint32_t zp32(unsigned int off)
{
	return get32(LINUX_ZERO_PAGE_GPA + off);
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* The setup-header fields a test may vary. */
struct hdr {
	uint8_t setup_sects, loadflags, relocatable, jump_disp;
	uint16_t version, xloadflags;
	uint32_t init_size, initrd_addr_max, cmdline_size, kernel_alignment;
	uint64_t pref_address;
	size_t pm_len;
};

/* A modern x86-64 kernel: protocol 2.15, 64-bit entry, relocatable,
 * 2 MiB aligned, unpacking at 16 MiB into 8 MiB. */
static const struct hdr modern = {
	.setup_sects = 4, .loadflags = 0x01, .relocatable = 1, .jump_disp = 0x6A,
	.version = 0x020F, .xloadflags = 0x03, .init_size = 8 << 20, .initrd_addr_max = 0x7FFFFFFF,
	.cmdline_size = 2047, .kernel_alignment = 2 << 20, .pref_address = 16 << 20, .pm_len = 64 << 10,
};

static uint8_t pm_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/* Returns the image length; the buffer is malloc'd (ASan checks reads). */
static uint8_t *make_bzimage(const struct hdr *h, size_t *len)
{
	size_t setup = ((size_t)(h->setup_sects ? h->setup_sects : 4) + 1) * 512;
	uint8_t *img = calloc(1, setup + h->pm_len);
	assert_non_null(img);
	img[0x1F1] = h->setup_sects;
	put16(img + 0x1FC, 0x0801); /* root_dev: copied as is */
	put16(img + 0x1FE, 0xAA55);
	img[0x200] = 0xEB;
	img[0x201] = h->jump_disp;
	memcpy(img + 0x202, "HdrS", 4);
	put16(img + 0x206, h->version);
	put16(img + 0x20E, 0x0DE0); /* kernel_version string offset */
	img[0x211] = h->loadflags;
	put32(img + 0x214, 0x100000);
	put32(img + 0x22C, h->initrd_addr_max);
	put32(img + 0x230, h->kernel_alignment);
	img[0x234] = h->relocatable;
	img[0x235] = 21; /* min_alignment */
	put16(img + 0x236, h->xloadflags);
	put32(img + 0x238, h->cmdline_size);
	put64(img + 0x250, 0xDEAD0000); /* setup_data: the loader must clear it */
	put64(img + 0x258, h->pref_address);
	put32(img + 0x260, h->init_size);
	put32(img + 0x264, 0x11223344); /* handover_offset */
	for (size_t i = 0; i < h->pm_len; i++)
		img[setup + i] = pm_byte(i);
	*len = setup + h->pm_len;
	return img;
}

static struct e820_entry map[LINUX_E820_MAX + 1];

static size_t map_for(uint64_t ram_size)
{
	struct e820_range r = {0, ram_size};
	char err[160];
	int n = e820_build(&r, 1, NULL, map, LINUX_E820_MAX, err, sizeof(err));
	assert_true(n > 0);
	return (size_t)n;
}

struct run {
	int rc;
	char err[160];
	struct boot_state st;
};

static struct run load(const struct hdr *h, const char *cmdline, const uint8_t *initrd, size_t initrd_len,
		       size_t e820_count)
{
	struct run r;
	size_t len;
	uint8_t *img = make_bzimage(h, &len);
	struct linux_boot_params p = {
		.kernel = img, .kernel_len = len, .initrd = initrd, .initrd_len = initrd_len,
		.cmdline = cmdline, .e820 = map, .e820_count = e820_count, .rsdp_gpa = 0xF0010,
	};
	memset(&r, 0, sizeof(r));
	strcpy(r.err, "untouched");
	r.rc = load_linux(&mem, &p, &r.st, r.err, sizeof(r.err));
	free(img);
	return r;
}

static struct run load_default(const struct hdr *h)
{
	return load(h, "console=ttyS0", NULL, 0, map_for(RAM));
}

static int setup(void **s)
{
	if (!fr.buf)
		fr.buf = malloc(RAM);
	fr.size = RAM;
	fr.refuse_lo = fr.refuse_hi = 0;
	mem.ram_size = RAM;
	memset(fr.buf, FILL, RAM);
	return fr.buf ? 0 : -1;
}

static int teardown_all(void **s)
{
	free(fr.buf);
	fr.buf = NULL;
	return 0;
}

/* --- what lands where ---------------------------------------------------- */

static void test_kernel_after_setup_sectors_lands_at_1mib(void **s)
{
	struct hdr h = modern;
	h.setup_sects = 30; /* 31 sectors before the kernel */
	struct run r = load_default(&h);
	assert_int_equal(r.rc, 0);
	for (size_t i = 0; i < h.pm_len; i++)
		if (fr.buf[0x100000 + i] != pm_byte(i))
			fail_msg("kernel byte %zu is 0x%x", i, fr.buf[0x100000 + i]);
	assert_int_equal(fr.buf[0x100000 + h.pm_len], FILL);
	assert_int_equal(fr.buf[0x100000 - 1], FILL);
}

static void test_setup_sects_zero_means_four(void **s)
{
	struct hdr h = modern;
	h.setup_sects = 0;
	struct run r = load_default(&h);
	assert_int_equal(r.rc, 0);
	assert_int_equal(fr.buf[0x100000], pm_byte(0));
	assert_int_equal(fr.buf[0x100001], pm_byte(1));
}

static void test_zero_page_has_the_header_and_loader_fields(void **s)
{
	struct run r = load_default(&modern);
	assert_int_equal(r.rc, 0);
	assert_int_equal(get16(LINUX_ZERO_PAGE_GPA + 0x1FC), 0x0801);  /* root_dev copied */
	assert_int_equal(get16(LINUX_ZERO_PAGE_GPA + 0x1FE), 0xAA55);
	assert_memory_equal(fr.buf + LINUX_ZERO_PAGE_GPA + 0x202, "HdrS", 4);
	assert_int_equal(get16(LINUX_ZERO_PAGE_GPA + 0x206), 0x020F);
	assert_int_equal(zp32(0x260), 8 << 20);                    /* init_size copied */
	assert_int_equal(zp32(0x264), 0x11223344);                 /* up to the header's end */
	assert_int_equal(fr.buf[LINUX_ZERO_PAGE_GPA + 0x210], 0xFF); /* type_of_loader */
	assert_int_equal(fr.buf[LINUX_ZERO_PAGE_GPA + 0x211], 0x81); /* LOADED_HIGH | CAN_USE_HEAP */
	assert_int_equal(zp32(0x214), 0x100000);                   /* code32_start */
	assert_int_equal(get16(LINUX_ZERO_PAGE_GPA + 0x224), 0xFE00); /* heap_end_ptr */
	assert_int_equal(zp32(0x228), LINUX_CMDLINE_GPA);           /* cmd_line_ptr */
	assert_int_equal(zp32(0x218), 0);                          /* no initrd */
	assert_int_equal(zp32(0x21C), 0);
	assert_int_equal(get64(LINUX_ZERO_PAGE_GPA + 0x250), 0);   /* setup_data cleared */
	assert_int_equal(get64(LINUX_ZERO_PAGE_GPA + 0x070), 0xF0010); /* acpi_rsdp_addr */
	/* The rest starts zeroed: screen_info, the sentinel, past the header. */
	assert_int_equal(get64(LINUX_ZERO_PAGE_GPA), 0);
	assert_int_equal(fr.buf[LINUX_ZERO_PAGE_GPA + 0x1EF], 0);
	assert_int_equal(fr.buf[LINUX_ZERO_PAGE_GPA + 0x26C], 0);
	assert_int_equal(fr.buf[LINUX_ZERO_PAGE_GPA + 0xFFF], 0);
}

static void test_header_copy_stops_where_the_jump_says(void **s)
{
	struct hdr h = modern;
	h.jump_disp = 0x62; /* header ends at 0x264: handover_offset not part of it */
	struct run r = load_default(&h);
	assert_int_equal(r.rc, 0);
	assert_int_equal(zp32(0x260), 8 << 20);
	assert_int_equal(zp32(0x264), 0);
}

static void test_zero_page_carries_the_e820_map(void **s)
{
	struct run r = load_default(&modern);
	assert_int_equal(r.rc, 0);
	assert_int_equal(fr.buf[LINUX_ZERO_PAGE_GPA + 0x1E8], 4);
	const uint64_t want[4][3] = {
		{0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0xF0000, 0x10000, 2}, {0x100000, RAM - 0x100000, 1}};
	for (int i = 0; i < 4; i++) {
		uint64_t e = LINUX_ZERO_PAGE_GPA + 0x2D0 + 20 * (uint64_t)i;
		assert_int_equal(get64(e), want[i][0]);
		assert_int_equal(get64(e + 8), want[i][1]);
		assert_int_equal(get32(e + 16), want[i][2]);
	}
	assert_int_equal(get64(LINUX_ZERO_PAGE_GPA + 0x2D0 + 80), 0);
}

static void test_command_line_is_at_its_pointer(void **s)
{
	struct run r = load_default(&modern);
	assert_int_equal(r.rc, 0);
	assert_string_equal((const char *)fr.buf + zp32(0x228), "console=ttyS0");
}

static void test_no_command_line_is_an_empty_string(void **s)
{
	struct run r = load(&modern, NULL, NULL, 0, map_for(RAM));
	assert_int_equal(r.rc, 0);
	assert_int_equal(fr.buf[LINUX_CMDLINE_GPA], 0);
}

static void test_command_line_of_exactly_cmdline_size_fits(void **s)
{
	struct hdr h = modern;
	h.cmdline_size = 16;
	struct run r = load(&h, "0123456789abcdef", NULL, 0, map_for(RAM));
	assert_int_equal(r.rc, 0);
	assert_string_equal((const char *)fr.buf + LINUX_CMDLINE_GPA, "0123456789abcdef");
}

/* --- initrd -------------------------------------------------------------- */

static uint8_t *make_initrd(size_t n)
{
	uint8_t *d = malloc(n);
	assert_non_null(d);
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)(i ^ (i >> 8));
	return d;
}

static void test_initrd_goes_high_page_aligned_below_ram_end(void **s)
{
	size_t n = 100000; /* not a page multiple */
	uint8_t *rd = make_initrd(n);
	struct run r = load(&modern, "", rd, n, map_for(RAM));
	assert_int_equal(r.rc, 0);
	uint32_t at = zp32(0x218);
	assert_int_equal(at, (RAM - n) & ~0xFFFULL);
	assert_int_equal(zp32(0x21C), n);
	assert_int_equal(zp32(0x0C0), 0); /* ext_ramdisk_image */
	assert_int_equal(zp32(0x0C4), 0); /* ext_ramdisk_size */
	assert_memory_equal(fr.buf + at, rd, n);
	free(rd);
}

static void test_initrd_stays_below_initrd_addr_max(void **s)
{
	struct hdr h = modern;
	h.initrd_addr_max = (32 << 20) - 1;
	size_t n = 3 << 20;
	uint8_t *rd = make_initrd(n);
	struct run r = load(&h, "", rd, n, map_for(RAM));
	assert_int_equal(r.rc, 0);
	assert_int_equal(zp32(0x218), (32 << 20) - n);
	assert_memory_equal(fr.buf + zp32(0x218), rd, n);
	free(rd);
}

static void test_initrd_fits_inside_one_usable_entry(void **s)
{
	/* RAM at 0-32 MiB and 48-64 MiB: 6 MiB fits at the top of the upper
	 * range; with initrd_addr_max below it, in 24-32 MiB above the kernel. */
	struct e820_range ram[] = {{0, 32 << 20}, {48 << 20, 16 << 20}};
	char err[160];
	int n = e820_build(ram, 2, NULL, map, LINUX_E820_MAX, err, sizeof(err));
	size_t len = 6 << 20;
	uint8_t *rd = make_initrd(len);
	struct run r = load(&modern, "", rd, len, (size_t)n);
	assert_int_equal(r.rc, 0);
	assert_int_equal(zp32(0x218), 58 << 20);

	struct hdr h = modern;
	h.initrd_addr_max = (40 << 20) - 1;
	r = load(&h, "", rd, len, (size_t)n);
	assert_int_equal(r.rc, 0);
	assert_int_equal(zp32(0x218), 26 << 20);
	free(rd);
}

static void test_initrd_too_big_is_refused(void **s)
{
	size_t n = 41 << 20; /* kernel occupies up to 24 MiB of 64 */
	uint8_t *rd = make_initrd(n);
	struct run r = load(&modern, "", rd, n, map_for(RAM));
	assert_int_equal(r.rc, -EINVAL);
	assert_string_equal(r.err,
			    "bzImage: initrd (42991616 bytes) does not fit in usable RAM between 0x1800000 and 0x4000000");
	free(rd);
}

static void test_initrd_just_fitting_above_the_kernel_is_placed(void **s)
{
	size_t n = 40 << 20; /* exactly 24-64 MiB */
	uint8_t *rd = make_initrd(n);
	struct run r = load(&modern, "", rd, n, map_for(RAM));
	assert_int_equal(r.rc, 0);
	assert_int_equal(zp32(0x218), 24 << 20);
	free(rd);
}

/* --- refused images and placements -------------------------------------- */

static void assert_refused(struct run r, const char *msg)
{
	assert_int_equal(r.rc, -EINVAL);
	assert_string_equal(r.err, msg);
	/* Refused before anything was written. */
	assert_int_equal(fr.buf[LINUX_KERNEL_GPA], FILL);
	assert_int_equal(fr.buf[LINUX_ZERO_PAGE_GPA], FILL);
}

static void test_command_line_longer_than_cmdline_size_is_refused(void **s)
{
	struct hdr h = modern;
	h.cmdline_size = 16;
	assert_refused(load(&h, "0123456789abcdefg", NULL, 0, map_for(RAM)),
		       "bzImage: command line is longer than the 16 bytes the kernel accepts (cmdline_size)");
}

static void test_command_line_longer_than_the_loader_area_is_refused(void **s)
{
	struct hdr h = modern;
	h.cmdline_size = 0x7FFFFFFF;
	char *line = malloc(LINUX_CMDLINE_MAX + 1);
	memset(line, 'x', LINUX_CMDLINE_MAX);
	line[LINUX_CMDLINE_MAX] = 0;
	assert_refused(load(&h, line, NULL, 0, map_for(RAM)),
		       "bzImage: command line is longer than the loader's 65535-byte area");
	free(line);
}

static void test_version_2_05_is_refused(void **s)
{
	struct hdr h = modern;
	h.version = 0x0205;
	assert_refused(load_default(&h), "bzImage: setup header version 2.05 is older than 2.06");
}

static void test_missing_boot_flag_is_refused(void **s)
{
	size_t len;
	uint8_t *img = make_bzimage(&modern, &len);
	struct boot_state st;
	char err[160];
	img[0x1FE] = 0;
	struct linux_boot_params p = {.kernel = img, .kernel_len = len, .e820 = map, .e820_count = map_for(RAM)};
	assert_int_equal(load_linux(&mem, &p, &st, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bzImage: no boot sector signature 0xaa55 at offset 0x1fe");
	free(img);
}

static void test_missing_hdrs_magic_is_refused(void **s)
{
	size_t len;
	uint8_t *img = make_bzimage(&modern, &len);
	struct boot_state st;
	char err[160];
	memcpy(img + 0x202, "HdrZ", 4);
	struct linux_boot_params p = {.kernel = img, .kernel_len = len, .e820 = map, .e820_count = map_for(RAM)};
	assert_int_equal(load_linux(&mem, &p, &st, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bzImage: no \"HdrS\" setup header signature at offset 0x202");
	free(img);
}

static void test_zimage_without_loaded_high_is_refused(void **s)
{
	struct hdr h = modern;
	h.loadflags = 0;
	assert_refused(load_default(&h),
		       "bzImage: LOADED_HIGH is clear in loadflags: a zImage for 0x10000, not supported");
}

static void test_short_and_truncated_images_are_refused(void **s)
{
	size_t len;
	uint8_t *img = make_bzimage(&modern, &len);
	struct boot_state st;
	char err[160];
	struct linux_boot_params p = {.kernel = img, .kernel_len = 0x200, .e820 = map, .e820_count = map_for(RAM)};
	assert_int_equal(load_linux(&mem, &p, &st, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bzImage: 512 bytes is too short for a setup header");

	p.kernel_len = 2000; /* header complete, setup sectors (2560 bytes) not */
	assert_int_equal(load_linux(&mem, &p, &st, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bzImage: 4 setup sectors run past the end of the 2000-byte image");

	p.kernel_len = 2560;
	assert_int_equal(load_linux(&mem, &p, &st, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bzImage: no protected-mode kernel after the 4 setup sectors");
	free(img);
}

static void test_init_size_too_big_for_ram_is_refused(void **s)
{
	struct hdr h = modern;
	h.init_size = 60 << 20; /* 16 MiB + 60 MiB > 64 MiB */
	assert_refused(load_default(&h), "bzImage: kernel needs 76 MiB (init_size) but the VM has 64 MiB");
}

static void test_non_relocatable_kernel_needs_ram_at_pref_address(void **s)
{
	struct hdr h = modern;
	h.relocatable = 0;
	h.pref_address = 60 << 20;
	assert_refused(load_default(&h), "bzImage: kernel needs 68 MiB (init_size) but the VM has 64 MiB");
}

static void test_kernel_alignment_places_a_relocatable_kernel_without_pref_address(void **s)
{
	struct hdr h = modern;
	h.pref_address = 0;
	h.init_size = 59 << 20;
	h.kernel_alignment = 4 << 20; /* unpacks at 4 MiB: 63 MiB fits */
	assert_int_equal(load_default(&h).rc, 0);
	setup(s);
	h.kernel_alignment = 8 << 20; /* at 8 MiB: 67 MiB does not */
	assert_refused(load_default(&h), "bzImage: kernel needs 67 MiB (init_size) but the VM has 64 MiB");
}

static void test_ram_below_1mib_cannot_hold_the_kernel(void **s)
{
	assert_refused(load(&modern, "", NULL, 0, map_for(512 << 10)),
		       "bzImage: kernel needs 24 MiB (init_size) but the VM has 0 MiB");
}

static void test_missing_or_oversized_e820_map_is_refused(void **s)
{
	assert_refused(load(&modern, "", NULL, 0, 0), "bzImage: no e820 memory map to give the kernel");
	assert_refused(load(&modern, "", NULL, 0, LINUX_E820_MAX + 1),
		       "bzImage: the e820 map has 129 entries, the zero page holds at most 128");
}

static void test_unwritable_memory_is_reported(void **s)
{
	fr.refuse_lo = LINUX_PT_GPA + 0x3000; /* a page directory */
	fr.refuse_hi = fr.refuse_lo + 8;
	struct run r = load_default(&modern);
	assert_int_equal(r.rc, -EINVAL);
	assert_string_equal(r.err, "bzImage: cannot write the page tables at 0x10000");
}

/* --- entry state ---------------------------------------------------------- */

/* Walks 4-level paging from cr3; false if va is not mapped. */
static bool translate(uint64_t cr3, uint64_t va, uint64_t *pa)
{
	const uint64_t addr_mask = 0x000FFFFFFFFFF000ULL;
	uint64_t table = cr3 & addr_mask;
	for (int level = 3; level >= 0; level--) {
		unsigned int idx = (va >> (12 + 9 * level)) & 511;
		assert_true(table + 4096 <= RAM);
		uint64_t e = get64(table + idx * 8);
		if (!(e & 1))
			return false;
		assert_true(e & 2); /* writable */
		if (level == 0 || (level <= 2 && (e & 0x80))) {
			uint64_t page = 1ULL << (12 + 9 * level);
			*pa = (e & addr_mask & ~(page - 1)) | (va & (page - 1));
			return true;
		}
		table = e & addr_mask;
	}
	return false;
}

static void test_64bit_entry_state(void **s)
{
	struct run r = load_default(&modern);
	assert_int_equal(r.rc, 0);
	const struct boot_state *st = &r.st;
	assert_int_equal(st->sregs.cr0, 0x80000031); /* PG | NE | ET | PE */
	assert_int_equal(st->sregs.cr4, 0x20);       /* PAE */
	assert_int_equal(st->sregs.efer, 0x500);     /* LMA | LME */
	assert_int_equal(st->sregs.cr3, LINUX_PT_GPA);
	assert_int_equal(st->regs.rip, 0x100200);
	assert_int_equal(st->regs.gpr[GPR_RSI], LINUX_ZERO_PAGE_GPA);
	assert_int_equal(st->regs.rflags, 2);
	assert_int_equal(st->sregs.cs.selector, 0x10);
	assert_true(st->sregs.cs.attrib & SEG_L);
	assert_false(st->sregs.cs.attrib & SEG_DB);
	assert_int_equal(st->sregs.ds.selector, 0x18);
	assert_int_equal(st->sregs.ss.selector, 0x18);
	assert_int_equal(st->sregs.es.selector, 0x18);
	assert_int_equal(st->sregs.gdt.base, LINUX_GDT_GPA);
	assert_int_equal(st->sregs.gdt.limit, 31);
	assert_int_equal(get64(LINUX_GDT_GPA + 0x10), 0x00AF9B000000FFFFULL); /* 64-bit code, flat */
	assert_int_equal(get64(LINUX_GDT_GPA + 0x18), 0x00CF93000000FFFFULL); /* flat data */
	assert_int_equal(get64(LINUX_GDT_GPA), 0);
}

static void test_64bit_page_tables_identity_map_first_4gib(void **s)
{
	struct run r = load_default(&modern);
	assert_int_equal(r.rc, 0);
	uint64_t pa;
	for (uint64_t va = 0; va < (4ULL << 30); va += 2 << 20) {
		if (!translate(r.st.sregs.cr3, va + 0x1234, &pa) || pa != va + 0x1234)
			fail_msg("0x%llx not identity mapped", (unsigned long long)va);
	}
	assert_true(translate(r.st.sregs.cr3, (4ULL << 30) - 1, &pa));
	assert_int_equal(pa, (4ULL << 30) - 1);
	assert_false(translate(r.st.sregs.cr3, 4ULL << 30, &pa));
	/* The tables sit below the EBDA, clear of the zero page and command line. */
	assert_true(LINUX_PT_END <= LINUX_CMDLINE_GPA && LINUX_PT_GPA >= LINUX_ZERO_PAGE_GPA + 0x1000);
}

static void test_32bit_entry_when_kernel_has_no_64bit_entry(void **s)
{
	struct hdr h = modern;
	h.xloadflags = 0;
	struct run r = load_default(&h);
	assert_int_equal(r.rc, 0);
	const struct boot_state *st = &r.st;
	assert_int_equal(st->sregs.cr0, 0x31); /* PE, no paging */
	assert_int_equal(st->sregs.efer, 0);
	assert_int_equal(st->sregs.cr4, 0);
	assert_int_equal(st->regs.rip, 0x100000);
	assert_int_equal(st->regs.gpr[GPR_RSI], LINUX_ZERO_PAGE_GPA);
	assert_int_equal(st->regs.gpr[GPR_RBX], 0);
	assert_int_equal(st->regs.gpr[GPR_RBP], 0);
	assert_int_equal(st->regs.gpr[GPR_RDI], 0);
	assert_int_equal(st->regs.rflags, 2);
	assert_int_equal(st->sregs.cs.selector, 0x10);
	assert_int_equal(st->sregs.cs.base, 0);
	assert_int_equal(st->sregs.cs.limit, 0xFFFFFFFF);
	assert_true(st->sregs.cs.attrib & SEG_DB);
	assert_false(st->sregs.cs.attrib & SEG_L);
	assert_int_equal(st->sregs.ds.selector, 0x18);
	assert_int_equal(st->sregs.ss.limit, 0xFFFFFFFF);
	assert_int_equal(get64(LINUX_GDT_GPA + 0x10), 0x00CF9B000000FFFFULL);
	assert_int_equal(get64(LINUX_GDT_GPA + 0x18), 0x00CF93000000FFFFULL);
	assert_int_equal(fr.buf[LINUX_PT_GPA], FILL); /* no page tables built */
}

static void test_64bit_flag_is_ignored_before_protocol_2_12(void **s)
{
	struct hdr h = modern;
	h.version = 0x020B;
	struct run r = load_default(&h);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.st.regs.rip, 0x100000);
	assert_int_equal(r.st.sregs.efer, 0);
}

static void test_protocol_2_06_kernel_loads_without_init_size(void **s)
{
	struct hdr h = modern;
	h.version = 0x0206;
	h.xloadflags = 0;
	h.jump_disp = 0x3A; /* header up to cmdline_size */
	/* Fields the older header does not have are not trusted. */
	h.init_size = 200 << 20;
	size_t n = 1 << 20;
	uint8_t *rd = make_initrd(n);
	struct run r = load(&h, "root=/dev/ram0", rd, n, map_for(RAM));
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.st.regs.rip, 0x100000);
	assert_int_equal(zp32(0x218), RAM - n);
	assert_int_equal(zp32(0x260), 0); /* beyond this header: not copied */
	free(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_kernel_after_setup_sectors_lands_at_1mib, setup),
		cmocka_unit_test_setup(test_setup_sects_zero_means_four, setup),
		cmocka_unit_test_setup(test_zero_page_has_the_header_and_loader_fields, setup),
		cmocka_unit_test_setup(test_header_copy_stops_where_the_jump_says, setup),
		cmocka_unit_test_setup(test_zero_page_carries_the_e820_map, setup),
		cmocka_unit_test_setup(test_command_line_is_at_its_pointer, setup),
		cmocka_unit_test_setup(test_no_command_line_is_an_empty_string, setup),
		cmocka_unit_test_setup(test_command_line_of_exactly_cmdline_size_fits, setup),
		cmocka_unit_test_setup(test_initrd_goes_high_page_aligned_below_ram_end, setup),
		cmocka_unit_test_setup(test_initrd_stays_below_initrd_addr_max, setup),
		cmocka_unit_test_setup(test_initrd_fits_inside_one_usable_entry, setup),
		cmocka_unit_test_setup(test_initrd_too_big_is_refused, setup),
		cmocka_unit_test_setup(test_initrd_just_fitting_above_the_kernel_is_placed, setup),
		cmocka_unit_test_setup(test_command_line_longer_than_cmdline_size_is_refused, setup),
		cmocka_unit_test_setup(test_command_line_longer_than_the_loader_area_is_refused, setup),
		cmocka_unit_test_setup(test_version_2_05_is_refused, setup),
		cmocka_unit_test_setup(test_missing_boot_flag_is_refused, setup),
		cmocka_unit_test_setup(test_missing_hdrs_magic_is_refused, setup),
		cmocka_unit_test_setup(test_zimage_without_loaded_high_is_refused, setup),
		cmocka_unit_test_setup(test_short_and_truncated_images_are_refused, setup),
		cmocka_unit_test_setup(test_init_size_too_big_for_ram_is_refused, setup),
		cmocka_unit_test_setup(test_non_relocatable_kernel_needs_ram_at_pref_address, setup),
		cmocka_unit_test_setup(test_kernel_alignment_places_a_relocatable_kernel_without_pref_address, setup),
		cmocka_unit_test_setup(test_ram_below_1mib_cannot_hold_the_kernel, setup),
		cmocka_unit_test_setup(test_missing_or_oversized_e820_map_is_refused, setup),
		cmocka_unit_test_setup(test_unwritable_memory_is_reported, setup),
		cmocka_unit_test_setup(test_64bit_entry_state, setup),
		cmocka_unit_test_setup(test_64bit_page_tables_identity_map_first_4gib, setup),
		cmocka_unit_test_setup(test_32bit_entry_when_kernel_has_no_64bit_entry, setup),
		cmocka_unit_test_setup(test_64bit_flag_is_ignored_before_protocol_2_12, setup),
		cmocka_unit_test_setup(test_protocol_2_06_kernel_loads_without_init_size, setup),
	};
	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
