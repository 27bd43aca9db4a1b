/* Multiboot v1 (spec 0.6.96) and raw guest loaders. */
#include <stdarg.h>

#include "hv/loader.h"
#include "hv/errno.h"
#include "hv/format.h"
#include "hv/string.h"

#define MB1_HEADER_MAGIC 0x1BADB002u
#define MB1_BOOT_MAGIC 0x2BADB002u
#define MB1_SEARCH_LIMIT 8192
#define MB1_FLAG_AOUT_KLUDGE (1u << 16)
#define MB1_FLAG_VIDEO (1u << 2)
/* Info flags, spec s3.3 */
#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)
#define MBI_LOADER_NAME (1u << 9)
#define LOWER_MEM_KIB 640
#define LOW_RAM_END 0x9FC00      /* conventional memory a PC reports as usable */
#define HIGH_RAM_START 0x100000
#define MOD_ECHO_MAX 40          /* a module's name quoted in a message is cut here */

_Static_assert(CONFIG_MAX_MODULES <= MB_MODULES_MAX, "the loader takes every configured module");
_Static_assert(MB_MODS_GPA + MB_MODULES_MAX * 16 <= MB_CMDLINE_GPA, "module array overlaps the command line");

/* ELF32, System V ABI */
#define ELF_MAGIC 0x464C457Fu
#define ELFCLASS32 1
#define EM_386 3
#define PT_LOAD 1

#define CR0_PE 0x1ULL
#define CR0_ET 0x10ULL
#define CR0_PG 0x80000000ULL
#define CR0_NE 0x20ULL
#define CR4_PAE 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL
#define RFLAGS_FIXED 0x2ULL

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table, boot_loader_name;
} __packed;

struct mb_mmap_entry {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __packed;

struct mb_mod_entry {
	uint32_t mod_start, mod_end, string, reserved;
} __packed;

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static int fail(char *err, size_t errlen, const char *msg, uint64_t a, uint64_t b)
{
	hv_snprintf(err, errlen, msg, (unsigned long long)a, (unsigned long long)b);
	return -EINVAL;
}

static int __printf(4, 5) failf(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		hv_vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static const char *mod_string(const struct mb_module *m)
{
	return m->cmdline ? m->cmdline : "";
}

/* A module's name (its string's first word) made safe to quote: cut at
 * MOD_ECHO_MAX bytes, bytes that are not printable ASCII shown as '?'. */
static const char *mod_name(const struct mb_module *m, char buf[MOD_ECHO_MAX + 4])
{
	const char *s = mod_string(m);
	size_t n = 0;

	for (; s[n] && s[n] != ' ' && s[n] != '\t' && n < MOD_ECHO_MAX; n++)
		buf[n] = s[n] > 0x20 && s[n] < 0x7F ? s[n] : '?';
	if (s[n] && s[n] != ' ' && s[n] != '\t') {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

static struct segment seg(uint16_t sel, uint64_t base, uint32_t limit, uint16_t attrib)
{
	return (struct segment){.base = base, .limit = limit, .selector = sel, .attrib = attrib};
}

void boot_state_reset(struct boot_state *st)
{
	memset(st, 0, sizeof(*st));
	uint16_t data = SEG_TYPE_DATA_RW_ACCESSED | SEG_S | SEG_P;
	st->regs.rflags = RFLAGS_FIXED;
	st->regs.rip = 0xFFF0;
	st->sregs.cs = seg(0xF000, 0xFFFF0000, 0xFFFF, SEG_TYPE_CODE_RX_ACCESSED | SEG_S | SEG_P);
	st->sregs.ds = st->sregs.es = st->sregs.fs = st->sregs.gs = st->sregs.ss = seg(0, 0, 0xFFFF, data);
	st->sregs.tr = seg(0, 0, 0xFFFF, SEG_TYPE_TSS_BUSY_32 | SEG_P);
	st->sregs.ldt = seg(0, 0, 0xFFFF, SEG_TYPE_LDT | SEG_P);
	st->sregs.gdt.limit = st->sregs.idt.limit = 0xFFFF;
	st->sregs.cr0 = CR0_ET | CR0_NE;
	st->regs.gpr[GPR_RDX] = 0x600; /* processor signature family 6 (SDM table 10-1) */
}

/* Flat 32-bit protected mode, paging off: what multiboot promises. */
static void flat32(struct boot_state *st, uint64_t entry)
{
	uint16_t code = SEG_TYPE_CODE_RX_ACCESSED | SEG_S | SEG_P | SEG_DB | SEG_G;
	uint16_t data = SEG_TYPE_DATA_RW_ACCESSED | SEG_S | SEG_P | SEG_DB | SEG_G;
	boot_state_reset(st);
	st->sregs.cs = seg(0x10, 0, 0xFFFFFFFF, code);
	st->sregs.ds = st->sregs.es = st->sregs.fs = st->sregs.gs = st->sregs.ss =
		seg(0x18, 0, 0xFFFFFFFF, data);
	st->sregs.cr0 = CR0_PE | CR0_ET | CR0_NE;
	st->regs.rip = entry;
	st->regs.gpr[GPR_RDX] = 0;
}

static bool fits(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	return gpa + len >= gpa && gpa + len <= mem->ram_size;
}

/* Where everything goes, worked out before anything is written. */
struct mb_plan {
	uint64_t entry;
	uint64_t image_end; /* end of the highest loaded segment (bss included) */
	uint64_t mod_start[MB_MODULES_MAX];
	size_t line_len;    /* the command line, its NUL included */
	char line[MB_AREA_END - MB_CMDLINE_GPA];
};

static int write_info(const struct guest_mem *mem, const struct mb_plan *plan,
		      const struct mb_module *mods, size_t count)
{
	struct mb_info info = {0};
	struct mb_mmap_entry mmap[2] = {
		{sizeof(struct mb_mmap_entry) - 4, 0, LOW_RAM_END, 1},
		{sizeof(struct mb_mmap_entry) - 4, HIGH_RAM_START, mem->ram_size - HIGH_RAM_START, 1},
	};
	struct mb_mod_entry entries[MB_MODULES_MAX];
	uint64_t str = MB_CMDLINE_GPA + plan->line_len;

	info.flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP;
	info.mem_lower = LOWER_MEM_KIB;
	info.mem_upper = (uint32_t)((mem->ram_size - HIGH_RAM_START) / 1024);
	info.cmdline = MB_CMDLINE_GPA;
	info.mmap_addr = MB_MMAP_GPA;
	info.mmap_length = sizeof(mmap);
	if (count) {
		info.flags |= MBI_MODS;
		info.mods_count = (uint32_t)count;
		info.mods_addr = MB_MODS_GPA;
	}
	int err = mem->write(mem->ctx, MB_INFO_GPA, &info, sizeof(info));
	if (!err)
		err = mem->write(mem->ctx, MB_MMAP_GPA, mmap, sizeof(mmap));
	if (!err)
		err = mem->write(mem->ctx, MB_CMDLINE_GPA, plan->line, plan->line_len);
	for (size_t i = 0; i < count && !err; i++) {
		const char *s = mod_string(&mods[i]);
		size_t n = strlen(s) + 1; /* fits: plan_strings() measured it */
		/* mod_end is one past the last byte, as GRUB and QEMU give it. */
		uint64_t start = plan->mod_start[i];
		entries[i] = (struct mb_mod_entry){(uint32_t)start, (uint32_t)(start + mods[i].len),
						   (uint32_t)str, 0};
		err = mem->write(mem->ctx, str, s, n);
		str += n;
	}
	if (!err && count)
		err = mem->write(mem->ctx, MB_MODS_GPA, entries, count * sizeof(entries[0]));
	return err;
}

/* The loaders below run twice: first to check the image and find where it
 * ends (write = false), then, once the modules are placed too, to load it. */
static int load_elf32(const struct guest_mem *mem, const uint8_t *img, size_t len, bool write,
		      uint64_t *entry, uint64_t *end, char *err, size_t errlen)
{
	if (len < 52 || rd32(img) != ELF_MAGIC || img[4] != ELFCLASS32 || rd16(img + 18) != EM_386)
		return fail(err, errlen, "not an ELF32 i386 image and no a.out kludge in its multiboot header", 0, 0);
	uint32_t phoff = rd32(img + 28);
	uint16_t phentsize = rd16(img + 42), phnum = rd16(img + 44);
	if (phentsize < 32 || phoff > len || (uint64_t)phnum * phentsize > len - phoff)
		return fail(err, errlen, "ELF program headers run past the end of the image", 0, 0);
	uint32_t loaded = 0;
	*end = 0;
	for (uint16_t i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + (size_t)i * phentsize;
		if (rd32(ph) != PT_LOAD)
			continue;
		uint32_t off = rd32(ph + 4), paddr = rd32(ph + 12), filesz = rd32(ph + 16), memsz = rd32(ph + 20);
		uint64_t seg_end = (uint64_t)paddr + memsz;
		if (filesz > memsz || off > len || filesz > len - off)
			return fail(err, errlen, "ELF segment %llu is larger in the file than the image", i, 0);
		if (!fits(mem, paddr, memsz))
			return fail(err, errlen, "segment at 0x%llx (0x%llx bytes) does not fit in the VM's RAM",
				    paddr, memsz);
		if (paddr < MB_AREA_END && seg_end > MB_INFO_GPA)
			return fail(err, errlen, "segment at 0x%llx overlaps the multiboot info area 0x9000-0x9fff",
				    paddr, 0);
		if (write && (mem->write(mem->ctx, paddr, img + off, filesz) ||
			      mem->zero(mem->ctx, paddr + filesz, memsz - filesz)))
			return fail(err, errlen, "cannot write segment at 0x%llx", paddr, 0);
		*end = MAX(*end, seg_end);
		loaded++;
	}
	if (!loaded)
		return fail(err, errlen, "ELF image has no loadable segment", 0, 0);
	*entry = rd32(img + 24);
	return 0;
}

/* The a.out kludge: the header's address fields say where the file goes. */
static int load_aout(const struct guest_mem *mem, const uint8_t *img, size_t len, size_t hdr_off,
		     bool write, uint64_t *entry, uint64_t *image_end, char *err, size_t errlen)
{
	const uint8_t *h = img + hdr_off;
	if (hdr_off + 32 > len)
		return fail(err, errlen, "multiboot header address fields are truncated", 0, 0);
	uint32_t header_addr = rd32(h + 12), load_addr = rd32(h + 16), load_end = rd32(h + 20);
	uint32_t bss_end = rd32(h + 24);
	if (header_addr < load_addr || header_addr - load_addr > hdr_off)
		return fail(err, errlen, "multiboot header_addr 0x%llx is below load_addr 0x%llx", header_addr, load_addr);
	size_t file_off = hdr_off - (header_addr - load_addr);
	uint64_t size = load_end ? (uint64_t)load_end - load_addr : len - file_off;
	if (load_end && load_end < load_addr)
		return fail(err, errlen, "multiboot load_end_addr is below load_addr", 0, 0);
	if (size > len - file_off)
		return fail(err, errlen, "multiboot load range (0x%llx bytes) is larger than the image", size, 0);
	uint64_t end = bss_end > load_addr + size ? bss_end : load_addr + size;
	if (!fits(mem, load_addr, end - load_addr))
		return fail(err, errlen, "image at 0x%llx (0x%llx bytes) does not fit in the VM's RAM", load_addr,
			    end - load_addr);
	if (write && (mem->write(mem->ctx, load_addr, img + file_off, size) ||
		      mem->zero(mem->ctx, load_addr + size, end - load_addr - size)))
		return fail(err, errlen, "cannot write the image at 0x%llx", load_addr, 0);
	*entry = rd32(h + 28);
	*image_end = end;
	return 0;
}

static int load_image(const struct guest_mem *mem, const uint8_t *image, size_t len, uint32_t flags,
		      size_t hdr_off, bool write, struct mb_plan *plan, char *err, size_t errlen)
{
	if (flags & MB1_FLAG_AOUT_KLUDGE)
		return load_aout(mem, image, len, hdr_off, write, &plan->entry, &plan->image_end, err,
				 errlen);
	return load_elf32(mem, image, len, write, &plan->entry, &plan->image_end, err, errlen);
}

/* Modules go one after the other, each on a page boundary (what a header's
 * flags bit 0 may demand; done always), the first on the first page at or
 * above 1 MiB past the image: clear of the image, the info area and the
 * BIOS area below 1 MiB, in the RAM the memory map calls usable, as GRUB
 * and QEMU place them. An empty module still takes a page, so no two
 * modules share a start address. */
static int place_modules(const struct guest_mem *mem, const struct mb_module *mods, size_t count,
			 struct mb_plan *plan, char *err, size_t errlen)
{
	uint64_t at = MAX(plan->image_end, HIGH_RAM_START);
	char name[MOD_ECHO_MAX + 4];

	/* Saturated: a start past 4 GiB is refused below anyway. */
	at = at > UINT64_MAX - PAGE_SIZE ? UINT64_MAX : ALIGN_UP(at, PAGE_SIZE);
	for (size_t i = 0; i < count; i++) {
		uint64_t len = mods[i].len;
		if (!mods[i].data && len)
			return failf(err, errlen, -EINVAL, "module %zu '%s' has no data", i + 1,
				     mod_name(&mods[i], name));
		if (len > mem->ram_size || at > mem->ram_size - len)
			return failf(err, errlen, -ENOSPC,
				     "module %zu '%s' at 0x%llx (0x%llx bytes) does not fit in the VM's RAM, "
				     "which ends at 0x%llx", i + 1, mod_name(&mods[i], name),
				     (unsigned long long)at, (unsigned long long)len,
				     (unsigned long long)mem->ram_size);
		/* mod_start and mod_end are 32-bit, mod_end one past the end. */
		if (at + len > UINT32_MAX)
			return failf(err, errlen, -EINVAL,
				     "module %zu '%s' at 0x%llx (0x%llx bytes) would end above 4 GiB, "
				     "beyond multiboot's 32-bit addresses", i + 1, mod_name(&mods[i], name),
				     (unsigned long long)at, (unsigned long long)len);
		plan->mod_start[i] = at;
		at = ALIGN_UP(at + MAX(len, 1), PAGE_SIZE);
	}
	return 0;
}

/* The command line, as QEMU gives it: the image's name first; then each
 * module's string right after it, all inside the info area. */
static int plan_strings(const char *image_name, const char *cmdline, const struct mb_module *mods,
			size_t count, struct mb_plan *plan, char *err, size_t errlen)
{
	const size_t space = sizeof(plan->line);
	int n = hv_snprintf(plan->line, space, "%s%s%s", image_name, cmdline[0] ? " " : "", cmdline);
	if (n < 0 || (size_t)n >= space)
		return fail(err, errlen, "command line too long for the multiboot info area", 0, 0);
	plan->line_len = (size_t)n + 1;

	size_t used = plan->line_len;
	for (size_t i = 0; i < count; i++)
		used += strnlen(mod_string(&mods[i]), space) + 1;
	if (used > space)
		return failf(err, errlen, -E2BIG,
			     "the command line and the module strings (%zu bytes) do not fit in the "
			     "multiboot info area (%zu bytes at 0x%x)", used, space, MB_CMDLINE_GPA);
	return 0;
}

static int write_modules(const struct guest_mem *mem, const struct mb_module *mods, size_t count,
			 const struct mb_plan *plan, char *err, size_t errlen)
{
	char name[MOD_ECHO_MAX + 4];

	for (size_t i = 0; i < count; i++) {
		uint64_t start = plan->mod_start[i], end = start + mods[i].len;
		/* The rest of its last page zeroed too: the same bytes on every load. */
		uint64_t pad_end = MIN(ALIGN_UP(start + MAX(mods[i].len, 1), PAGE_SIZE), mem->ram_size);
		if ((mods[i].len && mem->write(mem->ctx, start, mods[i].data, mods[i].len)) ||
		    mem->zero(mem->ctx, end, pad_end - end))
			return failf(err, errlen, -EFAULT, "cannot write module %zu '%s' at 0x%llx", i + 1,
				     mod_name(&mods[i], name), (unsigned long long)start);
	}
	return 0;
}

int load_multiboot_modules(const struct guest_mem *mem, const uint8_t *image, size_t len,
			   const char *image_name, const char *cmdline,
			   const struct mb_module *mods, size_t count, struct boot_state *st,
			   char *err, size_t errlen)
{
	struct mb_plan plan;
	size_t off;
	uint32_t flags = 0;
	bool found = false;

	if (mem->ram_size < 2 * HIGH_RAM_START)
		return fail(err, errlen, "multiboot guests need at least 2 MiB of RAM", 0, 0);
	if (count > MB_MODULES_MAX)
		return failf(err, errlen, -E2BIG, "too many multiboot modules (%zu, at most %d)", count,
			     MB_MODULES_MAX);
	if (count && !mods)
		return fail(err, errlen, "no module list given for %llu modules", count, 0);
	for (off = 0; off + 12 <= len && off < MB1_SEARCH_LIMIT; off += 4) {
		if (rd32(image + off) != MB1_HEADER_MAGIC)
			continue;
		flags = rd32(image + off + 4);
		if (((uint32_t)MB1_HEADER_MAGIC + flags + rd32(image + off + 8)) == 0) {
			found = true;
			break;
		}
	}
	if (!found)
		return fail(err, errlen, "not a multiboot image: no valid header in the first 8 KiB", 0, 0);
	int r = load_image(mem, image, len, flags, off, false, &plan, err, errlen);
	if (!r)
		r = plan_strings(image_name ? image_name : "", cmdline ? cmdline : "", mods, count, &plan,
				 err, errlen);
	if (!r)
		r = place_modules(mem, mods, count, &plan, err, errlen);
	/* Checked: now write. */
	if (!r)
		r = load_image(mem, image, len, flags, off, true, &plan, err, errlen);
	if (!r)
		r = write_modules(mem, mods, count, &plan, err, errlen);
	if (!r && write_info(mem, &plan, mods, count))
		r = failf(err, errlen, -EFAULT, "cannot write the multiboot info block at 0x%x", MB_INFO_GPA);
	if (r)
		return r;
	flat32(st, plan.entry);
	st->regs.gpr[GPR_RAX] = MB1_BOOT_MAGIC;
	st->regs.gpr[GPR_RBX] = MB_INFO_GPA;
	return 0;
}

int load_multiboot(const struct guest_mem *mem, const uint8_t *image, size_t len,
		   const char *image_name, const char *cmdline, struct boot_state *st, char *err,
		   size_t errlen)
{
	return load_multiboot_modules(mem, image, len, image_name, cmdline, NULL, 0, st, err, errlen);
}

/* Identity map of the first 4 GiB with 2 MiB pages at LONG_MODE_PT_GPA:
 * PML4, PDPT, four page directories (6 pages, up to 0x10000). */
static int build_long_mode_tables(const struct guest_mem *mem)
{
	uint64_t t[512];
	uint64_t pml4 = LONG_MODE_PT_GPA, pdpt = pml4 + 0x1000, pd = pdpt + 0x1000;

	memset(t, 0, sizeof(t));
	t[0] = pdpt | 0x3; /* present, writable */
	if (mem->write(mem->ctx, pml4, t, sizeof(t)))
		return -EFAULT;
	memset(t, 0, sizeof(t));
	for (int i = 0; i < 4; i++)
		t[i] = (pd + 0x1000 * (uint64_t)i) | 0x3;
	if (mem->write(mem->ctx, pdpt, t, sizeof(t)))
		return -EFAULT;
	for (int d = 0; d < 4; d++) {
		for (int i = 0; i < 512; i++)
			t[i] = ((uint64_t)d << 30) + ((uint64_t)i << 21) + 0x83; /* P, W, 2 MiB */
		if (mem->write(mem->ctx, pd + 0x1000 * (uint64_t)d, t, sizeof(t)))
			return -EFAULT;
	}
	return 0;
}

int load_raw(const struct guest_mem *mem, const uint8_t *image, size_t len, enum entry_mode mode,
	     uint64_t load_addr, uint64_t entry_addr, struct boot_state *st, char *err, size_t errlen)
{
	if (!fits(mem, load_addr, len))
		return fail(err, errlen, "image at 0x%llx (0x%llx bytes) does not fit in the VM's RAM", load_addr, len);
	if (mem->write(mem->ctx, load_addr, image, len))
		return fail(err, errlen, "cannot write the image at 0x%llx", load_addr, 0);
	switch (mode) {
	case ENTRY_REAL: {
		if (entry_addr >= HIGH_RAM_START)
			return fail(err, errlen, "real-mode entry 0x%llx is not below 1 MiB", entry_addr, 0);
		/* CS:IP reaching entry_addr: CS on a 64 KiB boundary, so small
		 * entries start with CS=0 as docs/guest-abi.md promises. */
		uint16_t cs = (uint16_t)((entry_addr >> 4) & 0xF000);
		boot_state_reset(st);
		st->sregs.cs = seg(cs, (uint64_t)cs << 4, 0xFFFF, SEG_TYPE_CODE_RX_ACCESSED | SEG_S | SEG_P);
		st->regs.rip = entry_addr - ((uint64_t)cs << 4);
		return 0;
	}
	case ENTRY_PROTECTED:
		flat32(st, entry_addr);
		return 0;
	case ENTRY_LONG: {
		if (mem->ram_size < 0x10000 || build_long_mode_tables(mem))
			return fail(err, errlen, "no room for the long-mode page tables at 0x%llx", LONG_MODE_PT_GPA, 0);
		flat32(st, entry_addr);
		st->sregs.cs.attrib = SEG_TYPE_CODE_RX_ACCESSED | SEG_S | SEG_P | SEG_L | SEG_G;
		st->sregs.cr0 |= CR0_PG;
		st->sregs.cr3 = LONG_MODE_PT_GPA;
		st->sregs.cr4 = CR4_PAE;
		st->sregs.efer = EFER_LME | EFER_LMA;
		return 0;
	}
	default:
		return fail(err, errlen, "raw images need entry real, protected or long", 0, 0);
	}
}
