/* VMX exit information: exit reasons, VM-instruction errors, decoders of
 * exit qualifications and event-information fields, and the VM-entry
 * interruption-information encoding for injection. Pure functions of the
 * values read from the VMCS, so host tests feed them hand-built values.
 *
 * Section numbers are the 2023+ SDM editions' (Vol. 3C chapter 25 is the
 * VMCS, 28 VM exits, 31 VMX instructions); older editions number each of
 * these chapters one lower. VMCS field encodings are in vmx/vmcs_fields.h. */
#ifndef VMX_EXIT_INFO_H
#define VMX_EXIT_INFO_H

#include "hv/compiler.h"

/* ---- exit reasons --------------------------------------------------------- */

/* Exit-reason field (VMCS_EXIT_REASON), SDM 3C 25.9.1 table 25-18. */
#define EXIT_REASON_BASIC(r) ((r)&0xFFFFu)
#define EXIT_REASON_BUS_LOCK_DETECTED (1u << 26) /* with another reason */
#define EXIT_REASON_ENCLAVE_MODE (1u << 27)
#define EXIT_REASON_PENDING_MTF (1u << 28)
#define EXIT_REASON_FROM_VMX_ROOT (1u << 29) /* SMM dual-monitor */
#define EXIT_REASON_ENTRY_FAILURE (1u << 31)

/* Basic exit reasons, SDM 3D appendix C table C-1. 35, 38, 42 and 71 are not
 * used. X(name, number): the enum constant is EXIT_REASON_<name>. */
#define EXIT_REASON_LIST(X)                          \
	X(EXCEPTION_NMI, 0)                          \
	X(EXTERNAL_INTERRUPT, 1)                     \
	X(TRIPLE_FAULT, 2)                           \
	X(INIT_SIGNAL, 3)                            \
	X(SIPI, 4)                                   \
	X(IO_SMI, 5)                                 \
	X(OTHER_SMI, 6)                              \
	X(INTERRUPT_WINDOW, 7)                       \
	X(NMI_WINDOW, 8)                             \
	X(TASK_SWITCH, 9)                            \
	X(CPUID, 10)                                 \
	X(GETSEC, 11)                                \
	X(HLT, 12)                                   \
	X(INVD, 13)                                  \
	X(INVLPG, 14)                                \
	X(RDPMC, 15)                                 \
	X(RDTSC, 16)                                 \
	X(RSM, 17)                                   \
	X(VMCALL, 18)                                \
	X(VMCLEAR, 19)                               \
	X(VMLAUNCH, 20)                              \
	X(VMPTRLD, 21)                               \
	X(VMPTRST, 22)                               \
	X(VMREAD, 23)                                \
	X(VMRESUME, 24)                              \
	X(VMWRITE, 25)                               \
	X(VMXOFF, 26)                                \
	X(VMXON, 27)                                 \
	X(CR_ACCESS, 28)                             \
	X(DR_ACCESS, 29)                             \
	X(IO_INSTRUCTION, 30)                        \
	X(RDMSR, 31)                                 \
	X(WRMSR, 32)                                 \
	X(INVALID_GUEST_STATE, 33) /* entry failure */ \
	X(MSR_LOADING, 34)         /* entry failure */ \
	X(MWAIT, 36)                                 \
	X(MONITOR_TRAP_FLAG, 37)                     \
	X(MONITOR, 39)                               \
	X(PAUSE, 40)                                 \
	X(MACHINE_CHECK, 41) /* entry failure */     \
	X(TPR_BELOW_THRESHOLD, 43)                   \
	X(APIC_ACCESS, 44)                           \
	X(VIRTUALIZED_EOI, 45)                       \
	X(GDTR_IDTR_ACCESS, 46)                      \
	X(LDTR_TR_ACCESS, 47)                        \
	X(EPT_VIOLATION, 48)                         \
	X(EPT_MISCONFIG, 49)                         \
	X(INVEPT, 50)                                \
	X(RDTSCP, 51)                                \
	X(PREEMPTION_TIMER, 52)                      \
	X(INVVPID, 53)                               \
	X(WBINVD, 54)                                \
	X(XSETBV, 55)                                \
	X(APIC_WRITE, 56)                            \
	X(RDRAND, 57)                                \
	X(INVPCID, 58)                               \
	X(VMFUNC, 59)                                \
	X(ENCLS, 60)                                 \
	X(RDSEED, 61)                                \
	X(PML_FULL, 62)                              \
	X(XSAVES, 63)                                \
	X(XRSTORS, 64)                               \
	X(PCONFIG, 65)                               \
	X(SPP_EVENT, 66)                             \
	X(UMWAIT, 67)                                \
	X(TPAUSE, 68)                                \
	X(LOADIWKEY, 69)                             \
	X(ENCLV, 70)                                 \
	X(ENQCMD_PASID_FAILURE, 72)                  \
	X(ENQCMDS_PASID_FAILURE, 73)                 \
	X(BUS_LOCK, 74)                              \
	X(INSTRUCTION_TIMEOUT, 75)                   \
	X(SEAMCALL, 76)                              \
	X(TDCALL, 77)                                \
	X(RDMSRLIST, 78)                             \
	X(WRMSRLIST, 79)                             \
	X(URDMSR, 80)                                \
	X(UWRMSR, 81)

#define EXIT_REASON_ENUM_ENTRY(name, num) EXIT_REASON_##name = (num),
enum vmx_exit_reason { EXIT_REASON_LIST(EXIT_REASON_ENUM_ENTRY) };
#undef EXIT_REASON_ENUM_ENTRY

/* The highest basic exit reason this file names (sizes dispatch tables). */
#define EXIT_REASON_MAX EXIT_REASON_UWRMSR

/* "CPUID", "EPT_VIOLATION", ... for the basic reason in bits 15:0 of
 * `reason` (the other bits of the exit-reason field are ignored); "unknown"
 * for numbers the SDM does not define. */
const char *vmx_exit_reason_name(uint32_t reason);

/* ---- VM-instruction errors ---------------------------------------------- */

/* VM-instruction error numbers (VMCS_VM_INSTRUCTION_ERROR after a VMfailValid),
 * SDM 3C 31.4 table 31-1. 14, 21 and 27 are not used. */
#define VMX_INSN_ERROR_LIST(X)                                                                          \
	X(VMCALL_IN_VMX_ROOT, 1, "VMCALL executed in VMX root operation")                               \
	X(VMCLEAR_INVALID_ADDRESS, 2, "VMCLEAR with invalid physical address")                         \
	X(VMCLEAR_VMXON_POINTER, 3, "VMCLEAR with VMXON pointer")                                       \
	X(VMLAUNCH_NONCLEAR_VMCS, 4, "VMLAUNCH with non-clear VMCS")                                    \
	X(VMRESUME_NONLAUNCHED_VMCS, 5, "VMRESUME with non-launched VMCS")                              \
	X(VMRESUME_AFTER_VMXOFF, 6, "VMRESUME after VMXOFF")                                            \
	X(ENTRY_INVALID_CONTROL_FIELD, 7, "VM entry with invalid control field(s)")                     \
	X(ENTRY_INVALID_HOST_STATE, 8, "VM entry with invalid host-state field(s)")                     \
	X(VMPTRLD_INVALID_ADDRESS, 9, "VMPTRLD with invalid physical address")                          \
	X(VMPTRLD_VMXON_POINTER, 10, "VMPTRLD with VMXON pointer")                                      \
	X(VMPTRLD_BAD_REVISION, 11, "VMPTRLD with incorrect VMCS revision identifier")                  \
	X(UNSUPPORTED_VMCS_COMPONENT, 12, "VMREAD/VMWRITE from/to unsupported VMCS component")          \
	X(VMWRITE_READ_ONLY_COMPONENT, 13, "VMWRITE to read-only VMCS component")                      \
	X(VMXON_IN_VMX_ROOT, 15, "VMXON executed in VMX root operation")                                \
	X(ENTRY_INVALID_EXECUTIVE_VMCS_POINTER, 16, "VM entry with invalid executive-VMCS pointer")     \
	X(ENTRY_NONLAUNCHED_EXECUTIVE_VMCS, 17, "VM entry with non-launched executive VMCS")            \
	X(ENTRY_EXECUTIVE_VMCS_NOT_VMXON, 18, "VM entry with executive-VMCS pointer not VMXON pointer") \
	X(VMCALL_NONCLEAR_VMCS, 19, "VMCALL with non-clear VMCS")                                       \
	X(VMCALL_INVALID_EXIT_CONTROLS, 20, "VMCALL with invalid VM-exit control fields")               \
	X(VMCALL_BAD_MSEG_REVISION, 22, "VMCALL with incorrect MSEG revision identifier")               \
	X(VMXOFF_DUAL_MONITOR, 23, "VMXOFF under dual-monitor treatment of SMIs and SMM")               \
	X(VMCALL_INVALID_SMM_FEATURES, 24, "VMCALL with invalid SMM-monitor features")                  \
	X(ENTRY_INVALID_EXECUTIVE_CONTROLS, 25,                                                          \
	  "VM entry with invalid VM-execution control fields in executive VMCS")                        \
	X(ENTRY_EVENTS_BLOCKED_BY_MOV_SS, 26, "VM entry with events blocked by MOV SS")                 \
	X(INVALID_INVEPT_INVVPID_OPERAND, 28, "invalid operand to INVEPT/INVVPID")

#define VMX_INSN_ERROR_ENUM_ENTRY(name, num, text) VMX_ERR_##name = (num),
enum vmx_insn_error { VMX_INSN_ERROR_LIST(VMX_INSN_ERROR_ENUM_ENTRY) };
#undef VMX_INSN_ERROR_ENUM_ENTRY

/* The SDM's description ("VMLAUNCH with non-clear VMCS"), or "unknown". */
const char *vmx_instruction_error_name(uint32_t error);

/* ---- exit qualifications (SDM 3C 28.2.1) ------------------------------------ */

/* Control-register accesses, table 28-3. */
enum vmx_cr_access_type {
	VMX_CR_MOV_TO_CR = 0,
	VMX_CR_MOV_FROM_CR = 1,
	VMX_CR_CLTS = 2,
	VMX_CR_LMSW = 3,
};
struct vmx_cr_access {
	uint8_t cr;                    /* 0, 3, 4 or 8 (CLTS and LMSW: 0) */
	enum vmx_cr_access_type type;
	uint8_t gpr;                   /* MOV: the register, 0-15 in x86 encoding
					* order (RAX, RCX, RDX, RBX, RSP, ...) */
	bool lmsw_memory;              /* LMSW: operand was in memory */
	uint16_t lmsw_data;            /* LMSW: the 16-bit source operand */
};
struct vmx_cr_access vmx_decode_cr_access(uint64_t qual);

/* MOV DR, table 28-4. */
struct vmx_dr_access {
	uint8_t dr;     /* 0-7 */
	bool from_dr;   /* MOV from DR (read); else MOV to DR */
	uint8_t gpr;    /* 0-15 */
};
struct vmx_dr_access vmx_decode_dr_access(uint64_t qual);

/* I/O instructions, table 28-5. */
struct vmx_io_access {
	uint8_t size;     /* 1, 2 or 4 bytes (0 for the encoding the SDM leaves undefined) */
	bool in;          /* IN/INS; else OUT/OUTS */
	bool string;      /* INS/OUTS */
	bool rep;         /* REP prefix */
	bool imm_operand; /* port given as an immediate; else in DX */
	uint16_t port;
};
/* Inline: every port I/O exit decodes one. Size field 0/1/3 -> 1/2/4 bytes;
 * 2 and 4-7 are not defined (0). */
static inline struct vmx_io_access vmx_decode_io(uint64_t qual)
{
	uint32_t sz = (uint32_t)qual & 7;
	return (struct vmx_io_access){
		.size = (uint8_t)(sz == 0 ? 1 : sz == 1 ? 2 : sz == 3 ? 4 : 0),
		.in = (qual >> 3) & 1,
		.string = (qual >> 4) & 1,
		.rep = (qual >> 5) & 1,
		.imm_operand = (qual >> 6) & 1,
		.port = (uint16_t)(qual >> 16),
	};
}

/* APIC-access, table 28-6. */
enum vmx_apic_access_type {
	VMX_APIC_LINEAR_READ = 0,
	VMX_APIC_LINEAR_WRITE = 1,
	VMX_APIC_LINEAR_FETCH = 2,
	VMX_APIC_LINEAR_EVENT_DELIVERY = 3,
	VMX_APIC_PHYSICAL_EVENT_DELIVERY = 10,
	VMX_APIC_PHYSICAL_FETCH = 15,
};
struct vmx_apic_access {
	uint16_t offset; /* page offset, for the linear types 0-2 */
	uint8_t type;    /* enum vmx_apic_access_type (other values: reserved) */
	bool async;      /* asynchronous to instruction execution */
};
struct vmx_apic_access vmx_decode_apic_access(uint64_t qual);

/* EPT violations, table 28-7. */
struct vmx_ept_violation {
	bool read, write, fetch;              /* bits 0-2: the access that faulted */
	bool readable, writable, executable;  /* bits 3-5: the translation's rights
					       * (executable: supervisor-mode with
					       * mode-based execute control) */
	bool user_executable;                 /* bit 6: with mode-based execute control */
	bool gla_valid;                       /* bit 7: VMCS_GUEST_LINEAR_ADDRESS valid */
	bool gla_translated;                  /* bit 8 (if gla_valid): the access was to
					       * the translation of the linear address,
					       * not to a guest paging-structure entry */
	bool user_linear;                     /* bits 9-11: advanced information, if */
	bool rw_page;                         /*   supported and gla_translated: U/S, */
	bool nx_page;                         /*   R/W and XD of the guest translation */
	bool nmi_unblocking;                  /* bit 12: NMI unblocking due to IRET */
	bool shadow_stack;                    /* bit 13 */
	bool supervisor_shadow_stack;         /* bit 14 */
	bool guest_paging_verification;       /* bit 15 */
	bool async;                           /* bit 16: asynchronous to instruction
					       * execution (e.g. PT output) */
};
/* The same bits as masks, for the MMIO exit's short path. */
#define EPT_QUAL_WRITE (1ULL << 1)
#define EPT_QUAL_RIGHTS (7ULL << 3) /* bits 5:3 all clear: the address is not mapped */
#define EPT_QUAL_FETCH (1ULL << 2)
#define EPT_QUAL_GLA_VALID (1ULL << 7)
#define EPT_QUAL_GLA_ACCESS (1ULL << 8) /* with bit 7: the access was to the linear address,
					  * not to a paging-structure entry */

/* Table 28-7, bit by bit. */
static inline struct vmx_ept_violation vmx_decode_ept_violation(uint64_t qual)
{
	return (struct vmx_ept_violation){
		.read = (qual >> 0) & 1,
		.write = (qual >> 1) & 1,
		.fetch = (qual >> 2) & 1,
		.readable = (qual >> 3) & 1,
		.writable = (qual >> 4) & 1,
		.executable = (qual >> 5) & 1,
		.user_executable = (qual >> 6) & 1,
		.gla_valid = (qual >> 7) & 1,
		.gla_translated = (qual >> 8) & 1,
		.user_linear = (qual >> 9) & 1,
		.rw_page = (qual >> 10) & 1,
		.nx_page = (qual >> 11) & 1,
		.nmi_unblocking = (qual >> 12) & 1,
		.shadow_stack = (qual >> 13) & 1,
		.supervisor_shadow_stack = (qual >> 14) & 1,
		.guest_paging_verification = (qual >> 15) & 1,
		.async = (qual >> 16) & 1,
	};
}

/* ---- event information (SDM 3C 25.9.2, 25.9.3, 25.8.3) ------------------- */

/* Interruption-information layout shared by VMCS_EXIT_INTR_INFO,
 * VMCS_IDT_VECTORING_INFO and VMCS_CTRL_ENTRY_INTR_INFO. */
#define VMX_INTR_INFO_VECTOR_MASK 0xFFu
#define VMX_INTR_INFO_TYPE_SHIFT 8
#define VMX_INTR_INFO_TYPE_MASK (0x7u << VMX_INTR_INFO_TYPE_SHIFT)
#define VMX_INTR_INFO_ERROR_CODE (1u << 11)     /* valid (exit) / deliver (entry) */
#define VMX_INTR_INFO_NMI_UNBLOCKING (1u << 12) /* exit interruption info only */
#define VMX_INTR_INFO_VALID (1u << 31)
/* Bits 30:12 of the VM-entry field must be 0 (SDM 3C 27.2.1.3). */
#define VMX_ENTRY_INTR_INFO_RESERVED 0x7FFFF000u

enum vmx_intr_type {
	VMX_INTR_TYPE_EXTERNAL = 0,
	VMX_INTR_TYPE_NMI = 2,
	VMX_INTR_TYPE_HW_EXCEPTION = 3,
	VMX_INTR_TYPE_SW_INTERRUPT = 4,     /* INT n */
	VMX_INTR_TYPE_PRIV_SW_EXCEPTION = 5, /* INT1 (ICEBP) */
	VMX_INTR_TYPE_SW_EXCEPTION = 6,     /* INT3, INTO */
	VMX_INTR_TYPE_OTHER = 7,            /* injection only: pending MTF exit */
};

struct vmx_event_info {
	bool valid;
	uint8_t vector;
	uint8_t type; /* enum vmx_intr_type */
	bool error_code_valid;
	bool nmi_unblocking; /* NMI unblocking due to IRET (exit info only) */
};
/* VM-exit interruption information, 25.9.2. */
struct vmx_event_info vmx_decode_exit_intr_info(uint32_t info);
/* IDT-vectoring information, 25.9.3 (bit 12 is undefined there: always
 * reported false). */
struct vmx_event_info vmx_decode_idt_vectoring_info(uint32_t info);

/* "external interrupt", "NMI", "hardware exception", ...; "reserved". */
const char *vmx_intr_type_name(uint32_t type);

/* Exceptions that push an error code (SDM 3A 6.15): #DF, #TS, #NP, #SS,
 * #GP, #PF, #AC, #CP. */
bool vmx_exception_has_error_code(uint8_t vector);

/* The VM-entry interruption-information value (25.8.3) injecting `vector`
 * as `type`, with the error code (written separately to
 * VMCS_CTRL_ENTRY_EXCEPTION_ERROR_CODE) delivered when deliver_error_code. */
uint32_t vmx_entry_intr_info(uint8_t vector, enum vmx_intr_type type, bool deliver_error_code);

/* Checks an entry interruption-information value against the VM-entry
 * checks of SDM 3C 27.2.1.3 that depend on it alone: type not reserved,
 * NMI is vector 2, hardware exceptions are vectors 0-31, "other event" is
 * vector 0, reserved bits clear, and an error code delivered exactly for
 * hardware exceptions that push one, and only when the guest is in
 * protected mode (CR0.PE; without unrestricted guest it always is).
 * Returns 0 or -EINVAL; failing here is a hypervisor bug that VM entry
 * would otherwise report as the opaque VM-instruction error 7. */
int vmx_check_entry_intr_info(uint32_t info, bool guest_protected_mode);

/* Turns IDT-vectoring information into the VM-entry value that re-injects
 * the event an exit interrupted (same layout; bit 12 and the other bits
 * reserved at entry cleared). Returns 0 if no event was being delivered. */
uint32_t vmx_idt_vectoring_to_entry(uint32_t idt_vectoring_info);

#endif
