/* libFuzzer harness for the Linux bzImage loader (hv/linux_boot.c) and the
 * e820 map builder it is fed from (hv/e820.c).
 * Input: a flags byte, the guest's RAM layout (size choice, an optional
 * second RAM range and ACPI range, the map's capacity), command-line and
 * initrd lengths, then the bzImage bytes. Flag bits can patch the image's
 * signatures and version so the fuzzer spends its time past the magic
 * checks. The image is a heap copy of exactly its length and guest memory
 * accesses are bounds-checked against the chosen RAM size, so any read or
 * write outside what the loader was given is caught. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "hv/errno.h"
#include "hv/linux_boot.h"
#include "test_log.h"

#define RAM_MAX (64ULL << 20)
#define INITRD_MAX (24ULL << 20)

static uint8_t *ram;
static uint64_t ram_size;
static uint8_t *initrd_data; /* contents do not matter: zeros */
static char *cmdline_buf;

static bool in_ram(uint64_t gpa, size_t len)
{
	return gpa <= ram_size && len <= ram_size - gpa;
}

static int fuzz_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	if (!in_ram(gpa, len))
		return -EFAULT;
	memcpy(ram + gpa, src, len);
	return 0;
}

static int fuzz_zero(void *ctx, uint64_t gpa, size_t len)
{
	if (!in_ram(gpa, len))
		return -EFAULT;
	memset(ram + gpa, 0, len);
	return 0;
}

static uint32_t ram32(uint64_t gpa)
{
	uint32_t v;
	check(in_ram(gpa, 4));
	memcpy(&v, ram + gpa, 4);
	return v;
}

static void check_map(const struct e820_entry *e, int n)
{
	for (int i = 0; i < n; i++) {
		check(e[i].size > 0);
		check(e[i].type >= E820_TYPE_RAM && e[i].type <= E820_TYPE_ACPI);
		if (i) {
			uint64_t prev_end = e[i - 1].addr + e[i - 1].size;
			check(prev_end != 0 && prev_end <= e[i].addr); /* sorted, disjoint */
			check(prev_end < e[i].addr || e[i - 1].type != e[i].type); /* merged */
		}
	}
}

static void check_loaded(const struct linux_boot_params *p, const struct boot_state *st)
{
	uint32_t rd_max;
	memcpy(&rd_max, p->kernel + 0x22C, 4); /* initrd_addr_max, from the image */
	const uint64_t zp = LINUX_ZERO_PAGE_GPA;
	check(st->regs.gpr[GPR_RSI] == zp);
	check(st->regs.rip == LINUX_KERNEL_GPA || st->regs.rip == LINUX_KERNEL_GPA + 0x200);
	check(ram32(zp + 0x228) == LINUX_CMDLINE_GPA);
	check(memchr(ram + LINUX_CMDLINE_GPA, 0, LINUX_CMDLINE_MAX) != NULL);
	check(ram[zp + 0x1E8] == p->e820_count);
	uint32_t rd = ram32(zp + 0x218), rd_len = ram32(zp + 0x21C);
	check(rd_len == p->initrd_len);
	if (rd_len) {
		check(rd % 4096 == 0);
		check(in_ram(rd, rd_len));
		check((uint64_t)rd + rd_len - 1 <= rd_max);
		check(rd >= LINUX_KERNEL_GPA + (p->kernel_len - (ram[zp + 0x1F1] ? ram[zp + 0x1F1] + 1 : 5) * 512ULL));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t ram_sizes[] = {512 << 10, 2 << 20, 24 << 20, 40 << 20};
	static struct e820_entry map[LINUX_E820_MAX + 1];
	struct input in = {data, size};
	struct boot_state st;
	char err[160];

	if (!ram) {
		ram = malloc(RAM_MAX);
		initrd_data = calloc(1, INITRD_MAX);
		cmdline_buf = malloc(LINUX_CMDLINE_MAX + 64);
		if (!ram || !initrd_data || !cmdline_buf)
			abort();
	}
	test_log_reset();

	uint8_t flags = input_u8(&in);
	ram_size = ram_sizes[flags & 3];
	if (flags & 0x10)
		ram_size = RAM_MAX;
	struct e820_range ranges[2] = {{0, ram_size}, {input_le(&in, 4) << 12, input_le(&in, 3) << 12}};
	struct e820_range acpi = {input_le(&in, 8), input_le(&in, 3)};
	size_t cap = input_u8(&in) % (LINUX_E820_MAX + 2);
	size_t cmdline_len = input_le(&in, 3) % (LINUX_CMDLINE_MAX + 64);
	size_t initrd_len = input_le(&in, 4) % (INITRD_MAX + 1);
	uint64_t rsdp = input_le(&in, 4);

	memset(err, 0, sizeof(err));
	int n = e820_build(ranges, (flags & 0x20) ? 2 : 1, (flags & 0x40) ? &acpi : NULL, map, cap, err, sizeof(err));
	if (n < 0) {
		check(n == -ENOSPC || n == -EINVAL);
		check(err[0] != '\0' && memchr(err, 0, sizeof(err)));
		n = 0; /* load_linux must refuse an empty map */
	}
	check((size_t)n <= cap);
	check_map(map, n);

	uint8_t *img = malloc(in.n ? in.n : 1);
	if (!img)
		abort();
	memcpy(img, in.p, in.n);
	if ((flags & 0x04) && in.n >= 0x290) {
		img[0x1FE] = 0x55;
		img[0x1FF] = 0xAA;
		memcpy(img + 0x202, "HdrS", 4);
	}
	if ((flags & 0x08) && in.n >= 0x290) {
		img[0x207] = 2;
		img[0x206] |= 0x0C; /* 2.12 or later */
		img[0x211] |= 0x01; /* LOADED_HIGH */
	}
	memset(cmdline_buf, 'a', cmdline_len);
	cmdline_buf[cmdline_len] = '\0';

	struct linux_boot_params p = {
		.kernel = img, .kernel_len = in.n, .initrd = initrd_data, .initrd_len = initrd_len,
		.cmdline = (flags & 0x80) ? NULL : cmdline_buf, .e820 = map, .e820_count = (size_t)n,
		.rsdp_gpa = rsdp,
	};
	struct guest_mem mem = {fuzz_write, fuzz_zero, ram_size, NULL};
	memset(err, 0, sizeof(err));
	int rc = load_linux(&mem, &p, &st, err, sizeof(err));
	if (rc == 0)
		check_loaded(&p, &st);
	else
		check(rc == -EINVAL && err[0] != '\0' && memchr(err, 0, sizeof(err)));
	free(img);
	return 0;
}
