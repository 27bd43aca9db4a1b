/* VMX exit information decoders and names: see vmx/exit_info.h. */
#include "vmx/exit_info.h"
#include "vmx/vmcs_fields.h"
#include "hv/errno.h"

/* ---- names ----------------------------------------------------------------- */

#define EXIT_REASON_NAME_ENTRY(name, num) [num] = #name,
static const char *const exit_reason_names[] = { EXIT_REASON_LIST(EXIT_REASON_NAME_ENTRY) };
#undef EXIT_REASON_NAME_ENTRY

const char *vmx_exit_reason_name(uint32_t reason)
{
	uint32_t basic = EXIT_REASON_BASIC(reason);

	if (basic >= ARRAY_SIZE(exit_reason_names) || !exit_reason_names[basic])
		return "unknown";
	return exit_reason_names[basic];
}

#define VMX_INSN_ERROR_TEXT_ENTRY(name, num, text) [num] = text,
static const char *const insn_error_names[] = { VMX_INSN_ERROR_LIST(VMX_INSN_ERROR_TEXT_ENTRY) };
#undef VMX_INSN_ERROR_TEXT_ENTRY

const char *vmx_instruction_error_name(uint32_t error)
{
	if (error >= ARRAY_SIZE(insn_error_names) || !insn_error_names[error])
		return "unknown";
	return insn_error_names[error];
}

struct field_name {
	uint32_t encoding;
	const char *name;
};

#define VMCS_FIELD_NAME_ENTRY(name, enc) { enc, #name },
static const struct field_name vmcs_field_names[] = { VMCS_FIELDS_ALL(VMCS_FIELD_NAME_ENTRY) };
#undef VMCS_FIELD_NAME_ENTRY

/* A linear search: names are for error messages and dumps, never the exit
 * fast path. */
const char *vmcs_field_name(uint32_t encoding)
{
	uint32_t full = encoding;

	if ((encoding & VMCS_FIELD_HIGH_ACCESS) && VMCS_FIELD_WIDTH(encoding) == VMCS_WIDTH_64)
		full = encoding & ~VMCS_FIELD_HIGH_ACCESS;
	for (size_t i = 0; i < ARRAY_SIZE(vmcs_field_names); i++)
		if (vmcs_field_names[i].encoding == full)
			return vmcs_field_names[i].name;
	return "unknown";
}

/* ---- exit qualifications ------------------------------------------------------ */

static uint32_t bits(uint64_t v, unsigned lo, unsigned n)
{
	return (uint32_t)((v >> lo) & ((1ULL << n) - 1));
}

static bool bit(uint64_t v, unsigned b)
{
	return (v >> b) & 1;
}

/* Table 28-3: 3:0 CR number, 5:4 access type, 6 LMSW operand type (1:
 * memory), 11:8 GPR of MOV CR, 31:16 LMSW source data. */
struct vmx_cr_access vmx_decode_cr_access(uint64_t qual)
{
	return (struct vmx_cr_access){
		.cr = (uint8_t)bits(qual, 0, 4),
		.type = (enum vmx_cr_access_type)bits(qual, 4, 2),
		.lmsw_memory = bit(qual, 6),
		.gpr = (uint8_t)bits(qual, 8, 4),
		.lmsw_data = (uint16_t)bits(qual, 16, 16),
	};
}

/* Table 28-4: 2:0 DR number, 4 direction (1: MOV from DR), 11:8 GPR. */
struct vmx_dr_access vmx_decode_dr_access(uint64_t qual)
{
	return (struct vmx_dr_access){
		.dr = (uint8_t)bits(qual, 0, 3),
		.from_dr = bit(qual, 4),
		.gpr = (uint8_t)bits(qual, 8, 4),
	};
}

/* Table 28-5: 2:0 size (0: 1 byte, 1: 2 bytes, 3: 4 bytes), 3 direction
 * (1: IN), 4 string, 5 REP, 6 operand encoding (1: immediate), 31:16 port. */
/* Table 28-6: 11:0 offset in the APIC page, 15:12 access type, 16
 * asynchronous. */
struct vmx_apic_access vmx_decode_apic_access(uint64_t qual)
{
	return (struct vmx_apic_access){
		.offset = (uint16_t)bits(qual, 0, 12),
		.type = (uint8_t)bits(qual, 12, 4),
		.async = bit(qual, 16),
	};
}

/* ---- event information -------------------------------------------------------- */

static struct vmx_event_info decode_event(uint32_t info)
{
	return (struct vmx_event_info){
		.valid = (info & VMX_INTR_INFO_VALID) != 0,
		.vector = (uint8_t)(info & VMX_INTR_INFO_VECTOR_MASK),
		.type = (uint8_t)((info & VMX_INTR_INFO_TYPE_MASK) >> VMX_INTR_INFO_TYPE_SHIFT),
		.error_code_valid = (info & VMX_INTR_INFO_ERROR_CODE) != 0,
		.nmi_unblocking = (info & VMX_INTR_INFO_NMI_UNBLOCKING) != 0,
	};
}

struct vmx_event_info vmx_decode_exit_intr_info(uint32_t info)
{
	return decode_event(info);
}

struct vmx_event_info vmx_decode_idt_vectoring_info(uint32_t info)
{
	struct vmx_event_info e = decode_event(info);

	e.nmi_unblocking = false; /* bit 12 is undefined in this field */
	return e;
}

const char *vmx_intr_type_name(uint32_t type)
{
	static const char *const names[8] = {
		[VMX_INTR_TYPE_EXTERNAL] = "external interrupt",
		[VMX_INTR_TYPE_NMI] = "NMI",
		[VMX_INTR_TYPE_HW_EXCEPTION] = "hardware exception",
		[VMX_INTR_TYPE_SW_INTERRUPT] = "software interrupt",
		[VMX_INTR_TYPE_PRIV_SW_EXCEPTION] = "privileged software exception",
		[VMX_INTR_TYPE_SW_EXCEPTION] = "software exception",
		[VMX_INTR_TYPE_OTHER] = "other event",
	};

	if (type >= ARRAY_SIZE(names) || !names[type])
		return "reserved";
	return names[type];
}

/* Vectors, SDM 3A table 6-1. */
#define VEC_DF 8
#define VEC_TS 10
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13
#define VEC_PF 14
#define VEC_AC 17
#define VEC_CP 21
#define VEC_NMI 2
#define VEC_LAST_EXCEPTION 31

bool vmx_exception_has_error_code(uint8_t vector)
{
	switch (vector) {
	case VEC_DF: case VEC_TS: case VEC_NP: case VEC_SS: case VEC_GP: case VEC_PF: case VEC_AC: case VEC_CP:
		return true;
	default:
		return false;
	}
}

uint32_t vmx_entry_intr_info(uint8_t vector, enum vmx_intr_type type, bool deliver_error_code)
{
	return VMX_INTR_INFO_VALID | (((uint32_t)type << VMX_INTR_INFO_TYPE_SHIFT) & VMX_INTR_INFO_TYPE_MASK) |
	       (deliver_error_code ? VMX_INTR_INFO_ERROR_CODE : 0) | vector;
}

int vmx_check_entry_intr_info(uint32_t info, bool guest_protected_mode)
{
	struct vmx_event_info e = decode_event(info);
	bool wants_code;

	if (!e.valid)
		return 0; /* nothing is injected; the other bits are not checked */
	if (info & VMX_ENTRY_INTR_INFO_RESERVED)
		return -EINVAL;
	switch (e.type) {
	case VMX_INTR_TYPE_NMI:
		if (e.vector != VEC_NMI)
			return -EINVAL;
		break;
	case VMX_INTR_TYPE_HW_EXCEPTION:
		if (e.vector > VEC_LAST_EXCEPTION)
			return -EINVAL;
		break;
	case VMX_INTR_TYPE_OTHER:
		if (e.vector != 0)
			return -EINVAL;
		break;
	case 1:
		return -EINVAL; /* reserved type */
	default:
		break;
	}
	wants_code = guest_protected_mode && e.type == VMX_INTR_TYPE_HW_EXCEPTION &&
		     vmx_exception_has_error_code(e.vector);
	if (e.error_code_valid != wants_code)
		return -EINVAL;
	return 0;
}

uint32_t vmx_idt_vectoring_to_entry(uint32_t idt_vectoring_info)
{
	if (!(idt_vectoring_info & VMX_INTR_INFO_VALID))
		return 0;
	return idt_vectoring_info & ~VMX_ENTRY_INTR_INFO_RESERVED;
}
