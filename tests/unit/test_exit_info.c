/* VMX exit-information decoders and names (vmx/exit_info.c) and the VMCS
 * field encodings (vmx/vmcs_fields.h). Qualification values are built by
 * hand from the SDM tables cited beside each. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "vmx/exit_info.h"
#include "vmx/vmcs_fields.h"
#include "test_log.h"

/* ---- exit reasons ------------------------------------------------------------- */

/* SDM 3D table C-1, typed again here: every number 0..81, NULL if unused. */
static const char *const sdm_exit_reasons[] = {
	"EXCEPTION_NMI", "EXTERNAL_INTERRUPT", "TRIPLE_FAULT", "INIT_SIGNAL", "SIPI", "IO_SMI", "OTHER_SMI",
	"INTERRUPT_WINDOW", "NMI_WINDOW", "TASK_SWITCH", "CPUID", "GETSEC", "HLT", "INVD", "INVLPG", "RDPMC",
	"RDTSC", "RSM", "VMCALL", "VMCLEAR", "VMLAUNCH", "VMPTRLD", "VMPTRST", "VMREAD", "VMRESUME", "VMWRITE",
	"VMXOFF", "VMXON", "CR_ACCESS", "DR_ACCESS", "IO_INSTRUCTION", "RDMSR", "WRMSR",
	"INVALID_GUEST_STATE", "MSR_LOADING", NULL /* 35 */, "MWAIT", "MONITOR_TRAP_FLAG", NULL /* 38 */,
	"MONITOR", "PAUSE", "MACHINE_CHECK", NULL /* 42 */, "TPR_BELOW_THRESHOLD", "APIC_ACCESS",
	"VIRTUALIZED_EOI", "GDTR_IDTR_ACCESS", "LDTR_TR_ACCESS", "EPT_VIOLATION", "EPT_MISCONFIG", "INVEPT",
	"RDTSCP", "PREEMPTION_TIMER", "INVVPID", "WBINVD", "XSETBV", "APIC_WRITE", "RDRAND", "INVPCID",
	"VMFUNC", "ENCLS", "RDSEED", "PML_FULL", "XSAVES", "XRSTORS", "PCONFIG", "SPP_EVENT", "UMWAIT",
	"TPAUSE", "LOADIWKEY", "ENCLV", NULL /* 71 */, "ENQCMD_PASID_FAILURE", "ENQCMDS_PASID_FAILURE",
	"BUS_LOCK", "INSTRUCTION_TIMEOUT", "SEAMCALL", "TDCALL", "RDMSRLIST", "WRMSRLIST", "URDMSR", "UWRMSR",
};

static void test_every_exit_reason_has_its_appendix_c_name(void **state)
{
	(void)state;
	assert_int_equal(sizeof(sdm_exit_reasons) / sizeof(sdm_exit_reasons[0]), 82);
	for (uint32_t r = 0; r < 82; r++) {
		const char *want = sdm_exit_reasons[r] ? sdm_exit_reasons[r] : "unknown";
		assert_string_equal(vmx_exit_reason_name(r), want);
	}
}

static void test_exit_reason_constants_have_the_sdm_numbers(void **state)
{
	(void)state;
	assert_int_equal(EXIT_REASON_EXCEPTION_NMI, 0);
	assert_int_equal(EXIT_REASON_TRIPLE_FAULT, 2);
	assert_int_equal(EXIT_REASON_INTERRUPT_WINDOW, 7);
	assert_int_equal(EXIT_REASON_CPUID, 10);
	assert_int_equal(EXIT_REASON_HLT, 12);
	assert_int_equal(EXIT_REASON_VMCALL, 18);
	assert_int_equal(EXIT_REASON_CR_ACCESS, 28);
	assert_int_equal(EXIT_REASON_IO_INSTRUCTION, 30);
	assert_int_equal(EXIT_REASON_RDMSR, 31);
	assert_int_equal(EXIT_REASON_WRMSR, 32);
	assert_int_equal(EXIT_REASON_INVALID_GUEST_STATE, 33);
	assert_int_equal(EXIT_REASON_EPT_VIOLATION, 48);
	assert_int_equal(EXIT_REASON_EPT_MISCONFIG, 49);
	assert_int_equal(EXIT_REASON_PREEMPTION_TIMER, 52);
	assert_int_equal(EXIT_REASON_XSETBV, 55);
	assert_int_equal(EXIT_REASON_LOADIWKEY, 69);
	assert_int_equal(EXIT_REASON_MAX, 81);
}

static void test_exit_reason_name_ignores_the_flag_bits(void **state)
{
	(void)state;
	/* VM-entry failure, invalid guest state: 0x80000021 */
	assert_string_equal(vmx_exit_reason_name(EXIT_REASON_ENTRY_FAILURE | 33), "INVALID_GUEST_STATE");
	/* pending MTF with HLT; enclave mode with EPT violation */
	assert_string_equal(vmx_exit_reason_name(0x1000000C), "HLT");
	assert_string_equal(vmx_exit_reason_name(0x08000030), "EPT_VIOLATION");
	assert_int_equal(EXIT_REASON_BASIC(0x80000021u), 33);
	assert_int_equal(EXIT_REASON_ENTRY_FAILURE, 0x80000000u);
	assert_int_equal(EXIT_REASON_PENDING_MTF, 0x10000000u);
}

static void test_undefined_exit_reasons_are_unknown(void **state)
{
	(void)state;
	static const uint32_t bad[] = { 35, 38, 42, 71, 82, 83, 200, 0xFFFF, 0x8000FFFF };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(vmx_exit_reason_name(bad[i]), "unknown");
}

/* ---- VM-instruction errors ------------------------------------------------------- */

static void test_instruction_error_names_follow_table_31_1(void **state)
{
	(void)state;
	assert_string_equal(vmx_instruction_error_name(1), "VMCALL executed in VMX root operation");
	assert_string_equal(vmx_instruction_error_name(4), "VMLAUNCH with non-clear VMCS");
	assert_string_equal(vmx_instruction_error_name(5), "VMRESUME with non-launched VMCS");
	assert_string_equal(vmx_instruction_error_name(7), "VM entry with invalid control field(s)");
	assert_string_equal(vmx_instruction_error_name(8), "VM entry with invalid host-state field(s)");
	assert_string_equal(vmx_instruction_error_name(11), "VMPTRLD with incorrect VMCS revision identifier");
	assert_string_equal(vmx_instruction_error_name(12), "VMREAD/VMWRITE from/to unsupported VMCS component");
	assert_string_equal(vmx_instruction_error_name(13), "VMWRITE to read-only VMCS component");
	assert_string_equal(vmx_instruction_error_name(15), "VMXON executed in VMX root operation");
	assert_string_equal(vmx_instruction_error_name(26), "VM entry with events blocked by MOV SS");
	assert_string_equal(vmx_instruction_error_name(28), "invalid operand to INVEPT/INVVPID");
	assert_int_equal(VMX_ERR_ENTRY_INVALID_CONTROL_FIELD, 7);
	assert_int_equal(VMX_ERR_VMLAUNCH_NONCLEAR_VMCS, 4);
	assert_int_equal(VMX_ERR_INVALID_INVEPT_INVVPID_OPERAND, 28);
	for (uint32_t e = 1; e <= 28; e++) {
		bool unused = e == 14 || e == 21 || e == 27;
		assert_int_equal(strcmp(vmx_instruction_error_name(e), "unknown") == 0, unused);
	}
}

static void test_instruction_errors_out_of_range_are_unknown(void **state)
{
	(void)state;
	static const uint32_t bad[] = { 0, 14, 21, 27, 29, 64, 0xFFFFFFFF };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(vmx_instruction_error_name(bad[i]), "unknown");
}

/* ---- control-register accesses, table 28-3 --------------------------------------- */

static void test_cr_access_mov_to_cr3_from_rbx(void **state)
{
	(void)state;
	/* CR 3 (3:0), type 0 MOV to CR (5:4), GPR 3 = RBX (11:8) */
	struct vmx_cr_access a = vmx_decode_cr_access(0x303);
	assert_int_equal(a.cr, 3);
	assert_int_equal(a.type, VMX_CR_MOV_TO_CR);
	assert_int_equal(a.gpr, 3);
	assert_false(a.lmsw_memory);
}

static void test_cr_access_mov_from_cr8_to_r12(void **state)
{
	(void)state;
	/* CR 8, type 1 (bit 4), GPR 12 */
	struct vmx_cr_access a = vmx_decode_cr_access(0xC18);
	assert_int_equal(a.cr, 8);
	assert_int_equal(a.type, VMX_CR_MOV_FROM_CR);
	assert_int_equal(a.gpr, 12);
}

static void test_cr_access_clts(void **state)
{
	(void)state;
	struct vmx_cr_access a = vmx_decode_cr_access(0x20); /* type 2, CR 0 */
	assert_int_equal(a.type, VMX_CR_CLTS);
	assert_int_equal(a.cr, 0);
}

static void test_cr_access_lmsw_register_and_memory_operands(void **state)
{
	(void)state;
	/* type 3, bit 6 clear (register), source data 0x000F in 31:16 */
	struct vmx_cr_access a = vmx_decode_cr_access(0x000F0030);
	assert_int_equal(a.type, VMX_CR_LMSW);
	assert_false(a.lmsw_memory);
	assert_int_equal(a.lmsw_data, 0x000F);
	/* memory operand (bit 6), data 0xFFFF; reserved bits 63:32 set are ignored */
	a = vmx_decode_cr_access(0xFFFFFFFFFFFF0070ULL);
	assert_int_equal(a.type, VMX_CR_LMSW);
	assert_true(a.lmsw_memory);
	assert_int_equal(a.lmsw_data, 0xFFFF);
	assert_int_equal(a.cr, 0);
}

/* ---- MOV DR, table 28-4 ------------------------------------------------------------ */

static void test_dr_access_decodes_register_and_direction(void **state)
{
	(void)state;
	struct vmx_dr_access a = vmx_decode_dr_access(0x107); /* mov dr7, rcx */
	assert_int_equal(a.dr, 7);
	assert_false(a.from_dr);
	assert_int_equal(a.gpr, 1);
	a = vmx_decode_dr_access(0xF16); /* mov r15, dr6 */
	assert_int_equal(a.dr, 6);
	assert_true(a.from_dr);
	assert_int_equal(a.gpr, 15);
}

/* ---- I/O instructions, table 28-5 --------------------------------------------------- */

static void test_io_out_dx_al_to_com1(void **state)
{
	(void)state;
	/* size 0 (1 byte), OUT, not string, DX operand, port 0x3F8 in 31:16 */
	struct vmx_io_access io = vmx_decode_io(0x03F80000);
	assert_int_equal(io.size, 1);
	assert_false(io.in);
	assert_false(io.string);
	assert_false(io.rep);
	assert_false(io.imm_operand);
	assert_int_equal(io.port, 0x3F8);
}

static void test_io_in_eax_from_immediate_port(void **state)
{
	(void)state;
	/* size 3 (4 bytes), IN (bit 3), immediate (bit 6), port 0x71 */
	struct vmx_io_access io = vmx_decode_io(0x0071004B);
	assert_int_equal(io.size, 4);
	assert_true(io.in);
	assert_true(io.imm_operand);
	assert_int_equal(io.port, 0x71);
}

static void test_io_rep_string_forms(void **state)
{
	(void)state;
	/* rep outsw to 0x1F0: size 1, string (bit 4), REP (bit 5) */
	struct vmx_io_access io = vmx_decode_io(0x01F00031);
	assert_int_equal(io.size, 2);
	assert_false(io.in);
	assert_true(io.string);
	assert_true(io.rep);
	assert_int_equal(io.port, 0x1F0);
	/* rep insb from 0xFFFF */
	io = vmx_decode_io(0xFFFF0038);
	assert_int_equal(io.size, 1);
	assert_true(io.in && io.string && io.rep);
	assert_int_equal(io.port, 0xFFFF);
}

static void test_io_undefined_size_encoding_decodes_as_zero(void **state)
{
	(void)state;
	assert_int_equal(vmx_decode_io(0x2).size, 0);
	assert_int_equal(vmx_decode_io(0x7).size, 0);
}

/* ---- APIC access, table 28-6 ------------------------------------------------------ */

static void test_apic_access_offset_type_and_async(void **state)
{
	(void)state;
	struct vmx_apic_access a = vmx_decode_apic_access(0x10B0); /* linear write to EOI (0xB0) */
	assert_int_equal(a.offset, 0xB0);
	assert_int_equal(a.type, VMX_APIC_LINEAR_WRITE);
	assert_false(a.async);
	a = vmx_decode_apic_access(0xF000);
	assert_int_equal(a.type, VMX_APIC_PHYSICAL_FETCH);
	a = vmx_decode_apic_access(0x10300); /* async linear read of ICR low */
	assert_int_equal(a.offset, 0x300);
	assert_int_equal(a.type, VMX_APIC_LINEAR_READ);
	assert_true(a.async);
}

/* ---- EPT violations, table 28-7 ------------------------------------------------------ */

static void test_ept_violation_write_to_read_only_translation(void **state)
{
	(void)state;
	/* write (1), readable (3), executable (5), GLA valid (7), translated (8) */
	struct vmx_ept_violation v = vmx_decode_ept_violation(0x1AA);
	assert_false(v.read);
	assert_true(v.write);
	assert_false(v.fetch);
	assert_true(v.readable);
	assert_false(v.writable);
	assert_true(v.executable);
	assert_true(v.gla_valid);
	assert_true(v.gla_translated);
	assert_false(v.nmi_unblocking);
}

static void test_ept_violation_read_during_guest_page_walk(void **state)
{
	(void)state;
	/* read (0), GLA valid (7), bit 8 clear: a paging-structure access; no rights */
	struct vmx_ept_violation v = vmx_decode_ept_violation(0x81);
	assert_true(v.read);
	assert_true(v.gla_valid);
	assert_false(v.gla_translated);
	assert_false(v.readable || v.writable || v.executable);
}

static void test_ept_violation_each_bit_sets_exactly_its_field(void **state)
{
	(void)state;
	for (unsigned b = 0; b <= 16; b++) {
		struct vmx_ept_violation v = vmx_decode_ept_violation(1ULL << b);
		const bool fields[17] = {
			v.read, v.write, v.fetch, v.readable, v.writable, v.executable, v.user_executable,
			v.gla_valid, v.gla_translated, v.user_linear, v.rw_page, v.nx_page, v.nmi_unblocking,
			v.shadow_stack, v.supervisor_shadow_stack, v.guest_paging_verification, v.async,
		};
		for (unsigned f = 0; f <= 16; f++)
			assert_int_equal(fields[f], f == b);
	}
	/* reserved bits 63:17 decode to nothing */
	struct vmx_ept_violation none = vmx_decode_ept_violation(~0ULL << 17);
	assert_false(none.read || none.write || none.fetch || none.gla_valid || none.async || none.nmi_unblocking);
}

/* ---- event information, 25.9.2 / 25.9.3 / 25.8.3 ----------------------------------- */

static void test_exit_intr_info_page_fault_with_error_code(void **state)
{
	(void)state;
	/* vector 14, type 3 (bits 10:8), error code valid (11), valid (31) */
	struct vmx_event_info e = vmx_decode_exit_intr_info(0x80000B0E);
	assert_true(e.valid);
	assert_int_equal(e.vector, 14);
	assert_int_equal(e.type, VMX_INTR_TYPE_HW_EXCEPTION);
	assert_true(e.error_code_valid);
	assert_false(e.nmi_unblocking);
}

static void test_exit_intr_info_nmi_with_iret_unblocking(void **state)
{
	(void)state;
	struct vmx_event_info e = vmx_decode_exit_intr_info(0x80001202);
	assert_true(e.valid);
	assert_int_equal(e.vector, 2);
	assert_int_equal(e.type, VMX_INTR_TYPE_NMI);
	assert_true(e.nmi_unblocking);
	assert_false(e.error_code_valid);
}

static void test_exit_intr_info_without_valid_bit_is_invalid(void **state)
{
	(void)state;
	assert_false(vmx_decode_exit_intr_info(0x00000B0E).valid);
	struct vmx_event_info e = vmx_decode_exit_intr_info(0x80000020); /* external interrupt 0x20 */
	assert_true(e.valid);
	assert_int_equal(e.type, VMX_INTR_TYPE_EXTERNAL);
	assert_int_equal(e.vector, 0x20);
}

static void test_idt_vectoring_info_ignores_undefined_bit_12(void **state)
{
	(void)state;
	struct vmx_event_info e = vmx_decode_idt_vectoring_info(0x80001202);
	assert_true(e.valid);
	assert_int_equal(e.type, VMX_INTR_TYPE_NMI);
	assert_false(e.nmi_unblocking);
	e = vmx_decode_idt_vectoring_info(0x80000480); /* INT 0x80 */
	assert_int_equal(e.type, VMX_INTR_TYPE_SW_INTERRUPT);
	assert_int_equal(e.vector, 0x80);
}

static void test_entry_intr_info_encodes_vector_type_error_code_and_valid(void **state)
{
	(void)state;
	assert_int_equal(vmx_entry_intr_info(14, VMX_INTR_TYPE_HW_EXCEPTION, true), 0x80000B0E);
	assert_int_equal(vmx_entry_intr_info(2, VMX_INTR_TYPE_NMI, false), 0x80000202);
	assert_int_equal(vmx_entry_intr_info(0x30, VMX_INTR_TYPE_EXTERNAL, false), 0x80000030);
	assert_int_equal(vmx_entry_intr_info(3, VMX_INTR_TYPE_SW_EXCEPTION, false), 0x80000603);
	assert_int_equal(vmx_entry_intr_info(0, VMX_INTR_TYPE_OTHER, false), 0x80000700);
	/* a bad type cannot spill into other bits */
	assert_int_equal(vmx_entry_intr_info(1, (enum vmx_intr_type)9, false), 0x80000101);
}

static void test_entry_intr_info_checks_follow_vm_entry_rules(void **state)
{
	(void)state;
	static const struct {
		uint32_t info;
		bool pe;
		int want;
	} cases[] = {
		{ 0x80000B0E, true, 0 },        /* #PF with error code */
		{ 0x80000B0D, true, 0 },        /* #GP with error code */
		{ 0x80000B15, true, 0 },        /* #CP with error code */
		{ 0x8000030D, true, -EINVAL },  /* #GP without error code in protected mode */
		{ 0x80000B0D, false, -EINVAL }, /* real mode (unrestricted guest): no error codes */
		{ 0x8000030D, false, 0 },
		{ 0x80000B06, true, -EINVAL },  /* #UD has no error code */
		{ 0x80000306, true, 0 },
		{ 0x80000202, true, 0 },        /* NMI */
		{ 0x80000203, true, -EINVAL },  /* NMI must be vector 2 */
		{ 0x80000320, true, -EINVAL },  /* hardware exception above 31 */
		{ 0x80000100, true, -EINVAL },  /* type 1 is reserved */
		{ 0x80000700, true, 0 },        /* other event (MTF), vector 0 */
		{ 0x80000701, true, -EINVAL },
		{ 0x80001020, true, -EINVAL },  /* reserved bit 12 */
		{ 0x80100020, true, -EINVAL },  /* reserved bit 20 */
		{ 0x80000020, true, 0 },        /* external interrupt */
		{ 0x80000880, true, -EINVAL },  /* error code with a software interrupt */
		{ 0x80000480, true, 0 },
		{ 0x7FFFFFFF, true, 0 },        /* not valid: nothing is checked */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(vmx_check_entry_intr_info(cases[i].info, cases[i].pe), cases[i].want);
}

static void test_exceptions_with_error_codes_are_df_ts_np_ss_gp_pf_ac_cp(void **state)
{
	(void)state;
	for (unsigned v = 0; v < 256; v++) {
		bool want = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
		assert_int_equal(vmx_exception_has_error_code((uint8_t)v), want);
	}
}

static void test_idt_vectoring_info_becomes_a_valid_reinjection(void **state)
{
	(void)state;
	/* a #PF interrupted mid-delivery, with undefined bit 12 set by the CPU */
	uint32_t entry = vmx_idt_vectoring_to_entry(0x80001B0E);
	assert_int_equal(entry, 0x80000B0E);
	assert_int_equal(vmx_check_entry_intr_info(entry, true), 0);
	assert_int_equal(vmx_idt_vectoring_to_entry(0x00000B0E), 0);
}

static void test_intr_type_names(void **state)
{
	(void)state;
	assert_string_equal(vmx_intr_type_name(VMX_INTR_TYPE_HW_EXCEPTION), "hardware exception");
	assert_string_equal(vmx_intr_type_name(VMX_INTR_TYPE_NMI), "NMI");
	assert_string_equal(vmx_intr_type_name(1), "reserved");
	assert_string_equal(vmx_intr_type_name(8), "reserved");
}

/* ---- VMCS field encodings, appendix B ----------------------------------------------- */

static void test_vmcs_field_encodings_match_appendix_b(void **state)
{
	(void)state;
	assert_int_equal(VMCS_CTRL_VPID, 0x0000);
	assert_int_equal(VMCS_GUEST_CS_SELECTOR, 0x0802);
	assert_int_equal(VMCS_HOST_TR_SELECTOR, 0x0C0C);
	assert_int_equal(VMCS_CTRL_IO_BITMAP_A, 0x2000);
	assert_int_equal(VMCS_CTRL_MSR_BITMAP, 0x2004);
	assert_int_equal(VMCS_CTRL_TSC_OFFSET, 0x2010);
	assert_int_equal(VMCS_CTRL_EPT_POINTER, 0x201A);
	assert_int_equal(VMCS_GUEST_PHYSICAL_ADDRESS, 0x2400);
	assert_int_equal(VMCS_GUEST_VMCS_LINK_POINTER, 0x2800);
	assert_int_equal(VMCS_GUEST_IA32_EFER, 0x2806);
	assert_int_equal(VMCS_HOST_IA32_EFER, 0x2C02);
	assert_int_equal(VMCS_CTRL_PIN_BASED, 0x4000);
	assert_int_equal(VMCS_CTRL_PROC_BASED, 0x4002);
	assert_int_equal(VMCS_CTRL_EXCEPTION_BITMAP, 0x4004);
	assert_int_equal(VMCS_CTRL_EXIT_CONTROLS, 0x400C);
	assert_int_equal(VMCS_CTRL_ENTRY_CONTROLS, 0x4012);
	assert_int_equal(VMCS_CTRL_ENTRY_INTR_INFO, 0x4016);
	assert_int_equal(VMCS_CTRL_PROC_BASED2, 0x401E);
	assert_int_equal(VMCS_VM_INSTRUCTION_ERROR, 0x4400);
	assert_int_equal(VMCS_EXIT_REASON, 0x4402);
	assert_int_equal(VMCS_EXIT_INTR_INFO, 0x4404);
	assert_int_equal(VMCS_IDT_VECTORING_INFO, 0x4408);
	assert_int_equal(VMCS_EXIT_INSTRUCTION_LEN, 0x440C);
	assert_int_equal(VMCS_GUEST_CS_ACCESS_RIGHTS, 0x4816);
	assert_int_equal(VMCS_GUEST_INTERRUPTIBILITY, 0x4824);
	assert_int_equal(VMCS_GUEST_ACTIVITY_STATE, 0x4826);
	assert_int_equal(VMCS_GUEST_PREEMPTION_TIMER, 0x482E);
	assert_int_equal(VMCS_HOST_IA32_SYSENTER_CS, 0x4C00);
	assert_int_equal(VMCS_CTRL_CR0_GUEST_HOST_MASK, 0x6000);
	assert_int_equal(VMCS_CTRL_CR4_READ_SHADOW, 0x6006);
	assert_int_equal(VMCS_EXIT_QUALIFICATION, 0x6400);
	assert_int_equal(VMCS_GUEST_LINEAR_ADDRESS, 0x640A);
	assert_int_equal(VMCS_GUEST_CR0, 0x6800);
	assert_int_equal(VMCS_GUEST_CR3, 0x6802);
	assert_int_equal(VMCS_GUEST_RSP, 0x681C);
	assert_int_equal(VMCS_GUEST_RIP, 0x681E);
	assert_int_equal(VMCS_GUEST_RFLAGS, 0x6820);
	assert_int_equal(VMCS_HOST_CR3, 0x6C02);
	assert_int_equal(VMCS_HOST_RSP, 0x6C14);
	assert_int_equal(VMCS_HOST_RIP, 0x6C16);
	assert_int_equal(VMCS_FIELD_HIGH(VMCS_CTRL_TSC_OFFSET), 0x2011);
}

struct field {
	const char *name;
	uint32_t enc;
	unsigned width;
};
#define F16(n, e) { #n, e, VMCS_WIDTH_16 },
#define F64(n, e) { #n, e, VMCS_WIDTH_64 },
#define F32(n, e) { #n, e, VMCS_WIDTH_32 },
#define FNAT(n, e) { #n, e, VMCS_WIDTH_NATURAL },
static const struct field all_fields[] = {
	VMCS_FIELDS_16(F16) VMCS_FIELDS_64(F64) VMCS_FIELDS_32(F32) VMCS_FIELDS_NATURAL(FNAT)
};

/* The type an encoding must have, from the name's prefix (B.x.1 control,
 * B.x.2 read-only data, B.x.3 guest state, B.x.4 host state). */
static unsigned type_from_name(const char *n)
{
	if (!strncmp(n, "VMCS_CTRL_", 10))
		return VMCS_TYPE_CONTROL;
	if (!strncmp(n, "VMCS_HOST_", 10))
		return VMCS_TYPE_HOST;
	if (!strcmp(n, "VMCS_GUEST_PHYSICAL_ADDRESS") || !strcmp(n, "VMCS_GUEST_LINEAR_ADDRESS"))
		return VMCS_TYPE_EXIT_INFO;
	if (!strncmp(n, "VMCS_GUEST_", 11))
		return VMCS_TYPE_GUEST;
	return VMCS_TYPE_EXIT_INFO;
}

static void test_every_vmcs_field_has_the_width_and_type_bits_of_its_group(void **state)
{
	(void)state;
	size_t n = sizeof(all_fields) / sizeof(all_fields[0]);
	assert_true(n > 150);
	for (size_t i = 0; i < n; i++) {
		const struct field *f = &all_fields[i];
		if (VMCS_FIELD_WIDTH(f->enc) != f->width || VMCS_FIELD_TYPE(f->enc) != type_from_name(f->name) ||
		    (f->enc & VMCS_FIELD_HIGH_ACCESS) || (f->enc & ~0x7FFFu))
			fail_msg("%s = %#x has the wrong width/type/access bits", f->name, f->enc);
		for (size_t j = 0; j < i; j++)
			if (all_fields[j].enc == f->enc)
				fail_msg("%s and %s share encoding %#x", all_fields[j].name, f->name, f->enc);
	}
}

static void test_vmcs_field_names_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(all_fields) / sizeof(all_fields[0]); i++)
		assert_string_equal(vmcs_field_name(all_fields[i].enc), all_fields[i].name);
	assert_string_equal(vmcs_field_name(0x681E), "VMCS_GUEST_RIP");
	/* the high half of a 64-bit field is named after the field */
	assert_string_equal(vmcs_field_name(0x2807), "VMCS_GUEST_IA32_EFER");
	/* there is no high access to natural-width or 32-bit fields */
	assert_string_equal(vmcs_field_name(0x681F), "unknown");
	assert_string_equal(vmcs_field_name(0x4403), "unknown");
	assert_string_equal(vmcs_field_name(0x482C), "unknown"); /* gap in B.3.3 */
	assert_string_equal(vmcs_field_name(0xFFFFFFFF), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_exit_reason_has_its_appendix_c_name),
		cmocka_unit_test(test_exit_reason_constants_have_the_sdm_numbers),
		cmocka_unit_test(test_exit_reason_name_ignores_the_flag_bits),
		cmocka_unit_test(test_undefined_exit_reasons_are_unknown),
		cmocka_unit_test(test_instruction_error_names_follow_table_31_1),
		cmocka_unit_test(test_instruction_errors_out_of_range_are_unknown),
		cmocka_unit_test(test_cr_access_mov_to_cr3_from_rbx),
		cmocka_unit_test(test_cr_access_mov_from_cr8_to_r12),
		cmocka_unit_test(test_cr_access_clts),
		cmocka_unit_test(test_cr_access_lmsw_register_and_memory_operands),
		cmocka_unit_test(test_dr_access_decodes_register_and_direction),
		cmocka_unit_test(test_io_out_dx_al_to_com1),
		cmocka_unit_test(test_io_in_eax_from_immediate_port),
		cmocka_unit_test(test_io_rep_string_forms),
		cmocka_unit_test(test_io_undefined_size_encoding_decodes_as_zero),
		cmocka_unit_test(test_apic_access_offset_type_and_async),
		cmocka_unit_test(test_ept_violation_write_to_read_only_translation),
		cmocka_unit_test(test_ept_violation_read_during_guest_page_walk),
		cmocka_unit_test(test_ept_violation_each_bit_sets_exactly_its_field),
		cmocka_unit_test(test_exit_intr_info_page_fault_with_error_code),
		cmocka_unit_test(test_exit_intr_info_nmi_with_iret_unblocking),
		cmocka_unit_test(test_exit_intr_info_without_valid_bit_is_invalid),
		cmocka_unit_test(test_idt_vectoring_info_ignores_undefined_bit_12),
		cmocka_unit_test(test_entry_intr_info_encodes_vector_type_error_code_and_valid),
		cmocka_unit_test(test_entry_intr_info_checks_follow_vm_entry_rules),
		cmocka_unit_test(test_exceptions_with_error_codes_are_df_ts_np_ss_gp_pf_ac_cp),
		cmocka_unit_test(test_idt_vectoring_info_becomes_a_valid_reinjection),
		cmocka_unit_test(test_intr_type_names),
		cmocka_unit_test(test_vmcs_field_encodings_match_appendix_b),
		cmocka_unit_test(test_every_vmcs_field_has_the_width_and_type_bits_of_its_group),
		cmocka_unit_test(test_vmcs_field_names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
