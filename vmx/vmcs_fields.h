/* VMCS field encodings, the operand of VMREAD/VMWRITE (SDM Vol. 3D
 * appendix B; the encoding scheme is SDM Vol. 3C 25.11.2, numbered as in
 * the 2023+ editions: subtract one from the chapter in older ones).
 *
 * An encoding is a 32-bit value:
 *   bit 0      access type: 0 full, 1 high 32 bits of a 64-bit field
 *   bits 9:1   index
 *   bits 11:10 type: 0 control, 1 VM-exit information (read-only), 2 guest
 *              state, 3 host state
 *   bits 14:13 width: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural (64 bits on
 *              64-bit processors)
 *
 * The fields are listed once per width group with X-macros, so the enum, the
 * name table (vmcs_field_name() in vmx/exit_info.c) and the unit test that
 * checks each encoding's width and type bits cannot drift apart. */
#ifndef VMX_VMCS_FIELDS_H
#define VMX_VMCS_FIELDS_H

#include "hv/compiler.h"

#define VMCS_FIELD_HIGH_ACCESS 0x1u /* bit 0: VMREAD/VMWRITE the high half */
#define VMCS_FIELD_INDEX(f) (((f) >> 1) & 0x1FFu)
#define VMCS_FIELD_TYPE(f) (((f) >> 10) & 0x3u)
#define VMCS_FIELD_WIDTH(f) (((f) >> 13) & 0x3u)
#define VMCS_FIELD_HIGH(f) ((f) | VMCS_FIELD_HIGH_ACCESS)

#define VMCS_TYPE_CONTROL 0u
#define VMCS_TYPE_EXIT_INFO 1u /* "VM-exit information", read-only data */
#define VMCS_TYPE_GUEST 2u
#define VMCS_TYPE_HOST 3u

#define VMCS_WIDTH_16 0u
#define VMCS_WIDTH_64 1u
#define VMCS_WIDTH_32 2u
#define VMCS_WIDTH_NATURAL 3u

/* 16-bit fields, SDM Vol. 3D B.1. */
#define VMCS_FIELDS_16(X)                                                   \
	/* B.1.1 control fields */                                          \
	X(VMCS_CTRL_VPID, 0x0000)                                           \
	X(VMCS_CTRL_POSTED_INTR_NOTIFICATION_VECTOR, 0x0002)                \
	X(VMCS_CTRL_EPTP_INDEX, 0x0004)                                     \
	X(VMCS_CTRL_HLAT_PREFIX_SIZE, 0x0006)                               \
	X(VMCS_CTRL_LAST_PID_POINTER_INDEX, 0x0008)                         \
	/* B.1.2 guest-state fields */                                      \
	X(VMCS_GUEST_ES_SELECTOR, 0x0800)                                   \
	X(VMCS_GUEST_CS_SELECTOR, 0x0802)                                   \
	X(VMCS_GUEST_SS_SELECTOR, 0x0804)                                   \
	X(VMCS_GUEST_DS_SELECTOR, 0x0806)                                   \
	X(VMCS_GUEST_FS_SELECTOR, 0x0808)                                   \
	X(VMCS_GUEST_GS_SELECTOR, 0x080A)                                   \
	X(VMCS_GUEST_LDTR_SELECTOR, 0x080C)                                 \
	X(VMCS_GUEST_TR_SELECTOR, 0x080E)                                   \
	X(VMCS_GUEST_INTR_STATUS, 0x0810)                                   \
	X(VMCS_GUEST_PML_INDEX, 0x0812)                                     \
	X(VMCS_GUEST_UINV, 0x0814)                                          \
	/* B.1.3 host-state fields */                                       \
	X(VMCS_HOST_ES_SELECTOR, 0x0C00)                                    \
	X(VMCS_HOST_CS_SELECTOR, 0x0C02)                                    \
	X(VMCS_HOST_SS_SELECTOR, 0x0C04)                                    \
	X(VMCS_HOST_DS_SELECTOR, 0x0C06)                                    \
	X(VMCS_HOST_FS_SELECTOR, 0x0C08)                                    \
	X(VMCS_HOST_GS_SELECTOR, 0x0C0A)                                    \
	X(VMCS_HOST_TR_SELECTOR, 0x0C0C)

/* 64-bit fields, SDM Vol. 3D B.2 (full encodings; VMCS_FIELD_HIGH() gives
 * the high half for 32-bit accesses). */
#define VMCS_FIELDS_64(X)                                                   \
	/* B.2.1 control fields */                                          \
	X(VMCS_CTRL_IO_BITMAP_A, 0x2000)                                    \
	X(VMCS_CTRL_IO_BITMAP_B, 0x2002)                                    \
	X(VMCS_CTRL_MSR_BITMAP, 0x2004)                                     \
	X(VMCS_CTRL_EXIT_MSR_STORE_ADDR, 0x2006)                            \
	X(VMCS_CTRL_EXIT_MSR_LOAD_ADDR, 0x2008)                             \
	X(VMCS_CTRL_ENTRY_MSR_LOAD_ADDR, 0x200A)                            \
	X(VMCS_CTRL_EXECUTIVE_VMCS_POINTER, 0x200C)                         \
	X(VMCS_CTRL_PML_ADDR, 0x200E)                                       \
	X(VMCS_CTRL_TSC_OFFSET, 0x2010)                                     \
	X(VMCS_CTRL_VIRTUAL_APIC_ADDR, 0x2012)                              \
	X(VMCS_CTRL_APIC_ACCESS_ADDR, 0x2014)                               \
	X(VMCS_CTRL_POSTED_INTR_DESC_ADDR, 0x2016)                          \
	X(VMCS_CTRL_VMFUNC_CONTROLS, 0x2018)                                \
	X(VMCS_CTRL_EPT_POINTER, 0x201A)                                    \
	X(VMCS_CTRL_EOI_EXIT_BITMAP0, 0x201C)                               \
	X(VMCS_CTRL_EOI_EXIT_BITMAP1, 0x201E)                               \
	X(VMCS_CTRL_EOI_EXIT_BITMAP2, 0x2020)                               \
	X(VMCS_CTRL_EOI_EXIT_BITMAP3, 0x2022)                               \
	X(VMCS_CTRL_EPTP_LIST_ADDR, 0x2024)                                 \
	X(VMCS_CTRL_VMREAD_BITMAP_ADDR, 0x2026)                             \
	X(VMCS_CTRL_VMWRITE_BITMAP_ADDR, 0x2028)                            \
	X(VMCS_CTRL_VE_INFO_ADDR, 0x202A)                                   \
	X(VMCS_CTRL_XSS_EXITING_BITMAP, 0x202C)                             \
	X(VMCS_CTRL_ENCLS_EXITING_BITMAP, 0x202E)                           \
	X(VMCS_CTRL_SPP_TABLE_POINTER, 0x2030)                              \
	X(VMCS_CTRL_TSC_MULTIPLIER, 0x2032)                                 \
	X(VMCS_CTRL_PROC_BASED3, 0x2034)                                    \
	X(VMCS_CTRL_ENCLV_EXITING_BITMAP, 0x2036)                           \
	X(VMCS_CTRL_LOW_PASID_DIR_ADDR, 0x2038)                             \
	X(VMCS_CTRL_HIGH_PASID_DIR_ADDR, 0x203A)                            \
	X(VMCS_CTRL_SHARED_EPT_POINTER, 0x203C)                             \
	X(VMCS_CTRL_PCONFIG_EXITING_BITMAP, 0x203E)                         \
	X(VMCS_CTRL_HLAT_POINTER, 0x2040)                                   \
	X(VMCS_CTRL_PID_POINTER_TABLE_ADDR, 0x2042)                         \
	X(VMCS_CTRL_EXIT_CONTROLS2, 0x2044)                                 \
	X(VMCS_CTRL_SPEC_CTRL_MASK, 0x204A)                                 \
	X(VMCS_CTRL_SPEC_CTRL_SHADOW, 0x204C)                               \
	/* B.2.2 read-only data field */                                    \
	X(VMCS_GUEST_PHYSICAL_ADDRESS, 0x2400)                              \
	/* B.2.3 guest-state fields */                                      \
	X(VMCS_GUEST_VMCS_LINK_POINTER, 0x2800)                             \
	X(VMCS_GUEST_IA32_DEBUGCTL, 0x2802)                                 \
	X(VMCS_GUEST_IA32_PAT, 0x2804)                                      \
	X(VMCS_GUEST_IA32_EFER, 0x2806)                                     \
	X(VMCS_GUEST_IA32_PERF_GLOBAL_CTRL, 0x2808)                         \
	X(VMCS_GUEST_PDPTE0, 0x280A)                                        \
	X(VMCS_GUEST_PDPTE1, 0x280C)                                        \
	X(VMCS_GUEST_PDPTE2, 0x280E)                                        \
	X(VMCS_GUEST_PDPTE3, 0x2810)                                        \
	X(VMCS_GUEST_IA32_BNDCFGS, 0x2812)                                  \
	X(VMCS_GUEST_IA32_RTIT_CTL, 0x2814)                                 \
	X(VMCS_GUEST_IA32_LBR_CTL, 0x2816)                                  \
	X(VMCS_GUEST_IA32_PKRS, 0x2818)                                     \
	/* B.2.4 host-state fields */                                       \
	X(VMCS_HOST_IA32_PAT, 0x2C00)                                       \
	X(VMCS_HOST_IA32_EFER, 0x2C02)                                      \
	X(VMCS_HOST_IA32_PERF_GLOBAL_CTRL, 0x2C04)                          \
	X(VMCS_HOST_IA32_PKRS, 0x2C06)

/* 32-bit fields, SDM Vol. 3D B.3. */
#define VMCS_FIELDS_32(X)                                                   \
	/* B.3.1 control fields */                                          \
	X(VMCS_CTRL_PIN_BASED, 0x4000)                                      \
	X(VMCS_CTRL_PROC_BASED, 0x4002)                                     \
	X(VMCS_CTRL_EXCEPTION_BITMAP, 0x4004)                               \
	X(VMCS_CTRL_PF_ERROR_CODE_MASK, 0x4006)                             \
	X(VMCS_CTRL_PF_ERROR_CODE_MATCH, 0x4008)                            \
	X(VMCS_CTRL_CR3_TARGET_COUNT, 0x400A)                               \
	X(VMCS_CTRL_EXIT_CONTROLS, 0x400C)                                  \
	X(VMCS_CTRL_EXIT_MSR_STORE_COUNT, 0x400E)                           \
	X(VMCS_CTRL_EXIT_MSR_LOAD_COUNT, 0x4010)                            \
	X(VMCS_CTRL_ENTRY_CONTROLS, 0x4012)                                 \
	X(VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, 0x4014)                           \
	X(VMCS_CTRL_ENTRY_INTR_INFO, 0x4016)                                \
	X(VMCS_CTRL_ENTRY_EXCEPTION_ERROR_CODE, 0x4018)                     \
	X(VMCS_CTRL_ENTRY_INSTRUCTION_LEN, 0x401A)                          \
	X(VMCS_CTRL_TPR_THRESHOLD, 0x401C)                                  \
	X(VMCS_CTRL_PROC_BASED2, 0x401E)                                    \
	X(VMCS_CTRL_PLE_GAP, 0x4020)                                        \
	X(VMCS_CTRL_PLE_WINDOW, 0x4022)                                     \
	X(VMCS_CTRL_INSTRUCTION_TIMEOUT, 0x4024)                            \
	/* B.3.2 read-only data fields */                                   \
	X(VMCS_VM_INSTRUCTION_ERROR, 0x4400)                                \
	X(VMCS_EXIT_REASON, 0x4402)                                         \
	X(VMCS_EXIT_INTR_INFO, 0x4404)                                      \
	X(VMCS_EXIT_INTR_ERROR_CODE, 0x4406)                                \
	X(VMCS_IDT_VECTORING_INFO, 0x4408)                                  \
	X(VMCS_IDT_VECTORING_ERROR_CODE, 0x440A)                            \
	X(VMCS_EXIT_INSTRUCTION_LEN, 0x440C)                                \
	X(VMCS_EXIT_INSTRUCTION_INFO, 0x440E)                               \
	/* B.3.3 guest-state fields */                                      \
	X(VMCS_GUEST_ES_LIMIT, 0x4800)                                      \
	X(VMCS_GUEST_CS_LIMIT, 0x4802)                                      \
	X(VMCS_GUEST_SS_LIMIT, 0x4804)                                      \
	X(VMCS_GUEST_DS_LIMIT, 0x4806)                                      \
	X(VMCS_GUEST_FS_LIMIT, 0x4808)                                      \
	X(VMCS_GUEST_GS_LIMIT, 0x480A)                                      \
	X(VMCS_GUEST_LDTR_LIMIT, 0x480C)                                    \
	X(VMCS_GUEST_TR_LIMIT, 0x480E)                                      \
	X(VMCS_GUEST_GDTR_LIMIT, 0x4810)                                    \
	X(VMCS_GUEST_IDTR_LIMIT, 0x4812)                                    \
	X(VMCS_GUEST_ES_ACCESS_RIGHTS, 0x4814)                              \
	X(VMCS_GUEST_CS_ACCESS_RIGHTS, 0x4816)                              \
	X(VMCS_GUEST_SS_ACCESS_RIGHTS, 0x4818)                              \
	X(VMCS_GUEST_DS_ACCESS_RIGHTS, 0x481A)                              \
	X(VMCS_GUEST_FS_ACCESS_RIGHTS, 0x481C)                              \
	X(VMCS_GUEST_GS_ACCESS_RIGHTS, 0x481E)                              \
	X(VMCS_GUEST_LDTR_ACCESS_RIGHTS, 0x4820)                            \
	X(VMCS_GUEST_TR_ACCESS_RIGHTS, 0x4822)                              \
	X(VMCS_GUEST_INTERRUPTIBILITY, 0x4824)                              \
	X(VMCS_GUEST_ACTIVITY_STATE, 0x4826)                                \
	X(VMCS_GUEST_SMBASE, 0x4828)                                        \
	X(VMCS_GUEST_IA32_SYSENTER_CS, 0x482A)                              \
	X(VMCS_GUEST_PREEMPTION_TIMER, 0x482E)                              \
	/* B.3.4 host-state field */                                        \
	X(VMCS_HOST_IA32_SYSENTER_CS, 0x4C00)

/* Natural-width fields, SDM Vol. 3D B.4. */
#define VMCS_FIELDS_NATURAL(X)                                              \
	/* B.4.1 control fields */                                          \
	X(VMCS_CTRL_CR0_GUEST_HOST_MASK, 0x6000)                            \
	X(VMCS_CTRL_CR4_GUEST_HOST_MASK, 0x6002)                            \
	X(VMCS_CTRL_CR0_READ_SHADOW, 0x6004)                                \
	X(VMCS_CTRL_CR4_READ_SHADOW, 0x6006)                                \
	X(VMCS_CTRL_CR3_TARGET0, 0x6008)                                    \
	X(VMCS_CTRL_CR3_TARGET1, 0x600A)                                    \
	X(VMCS_CTRL_CR3_TARGET2, 0x600C)                                    \
	X(VMCS_CTRL_CR3_TARGET3, 0x600E)                                    \
	/* B.4.2 read-only data fields */                                   \
	X(VMCS_EXIT_QUALIFICATION, 0x6400)                                  \
	X(VMCS_IO_RCX, 0x6402)                                              \
	X(VMCS_IO_RSI, 0x6404)                                              \
	X(VMCS_IO_RDI, 0x6406)                                              \
	X(VMCS_IO_RIP, 0x6408)                                              \
	X(VMCS_GUEST_LINEAR_ADDRESS, 0x640A)                                \
	/* B.4.3 guest-state fields */                                      \
	X(VMCS_GUEST_CR0, 0x6800)                                           \
	X(VMCS_GUEST_CR3, 0x6802)                                           \
	X(VMCS_GUEST_CR4, 0x6804)                                           \
	X(VMCS_GUEST_ES_BASE, 0x6806)                                       \
	X(VMCS_GUEST_CS_BASE, 0x6808)                                       \
	X(VMCS_GUEST_SS_BASE, 0x680A)                                       \
	X(VMCS_GUEST_DS_BASE, 0x680C)                                       \
	X(VMCS_GUEST_FS_BASE, 0x680E)                                       \
	X(VMCS_GUEST_GS_BASE, 0x6810)                                       \
	X(VMCS_GUEST_LDTR_BASE, 0x6812)                                     \
	X(VMCS_GUEST_TR_BASE, 0x6814)                                       \
	X(VMCS_GUEST_GDTR_BASE, 0x6816)                                     \
	X(VMCS_GUEST_IDTR_BASE, 0x6818)                                     \
	X(VMCS_GUEST_DR7, 0x681A)                                           \
	X(VMCS_GUEST_RSP, 0x681C)                                           \
	X(VMCS_GUEST_RIP, 0x681E)                                           \
	X(VMCS_GUEST_RFLAGS, 0x6820)                                        \
	X(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0x6822)                        \
	X(VMCS_GUEST_IA32_SYSENTER_ESP, 0x6824)                             \
	X(VMCS_GUEST_IA32_SYSENTER_EIP, 0x6826)                             \
	X(VMCS_GUEST_IA32_S_CET, 0x6828)                                    \
	X(VMCS_GUEST_SSP, 0x682A)                                           \
	X(VMCS_GUEST_IA32_INTR_SSP_TABLE_ADDR, 0x682C)                      \
	/* B.4.4 host-state fields */                                       \
	X(VMCS_HOST_CR0, 0x6C00)                                            \
	X(VMCS_HOST_CR3, 0x6C02)                                            \
	X(VMCS_HOST_CR4, 0x6C04)                                            \
	X(VMCS_HOST_FS_BASE, 0x6C06)                                        \
	X(VMCS_HOST_GS_BASE, 0x6C08)                                        \
	X(VMCS_HOST_TR_BASE, 0x6C0A)                                        \
	X(VMCS_HOST_GDTR_BASE, 0x6C0C)                                      \
	X(VMCS_HOST_IDTR_BASE, 0x6C0E)                                      \
	X(VMCS_HOST_IA32_SYSENTER_ESP, 0x6C10)                              \
	X(VMCS_HOST_IA32_SYSENTER_EIP, 0x6C12)                              \
	X(VMCS_HOST_RSP, 0x6C14)                                            \
	X(VMCS_HOST_RIP, 0x6C16)                                            \
	X(VMCS_HOST_IA32_S_CET, 0x6C18)                                     \
	X(VMCS_HOST_SSP, 0x6C1A)                                            \
	X(VMCS_HOST_IA32_INTR_SSP_TABLE_ADDR, 0x6C1C)

#define VMCS_FIELDS_ALL(X) VMCS_FIELDS_16(X) VMCS_FIELDS_64(X) VMCS_FIELDS_32(X) VMCS_FIELDS_NATURAL(X)

#define VMCS_FIELD_ENUM_ENTRY(name, enc) name = (enc),
enum vmcs_field { VMCS_FIELDS_ALL(VMCS_FIELD_ENUM_ENTRY) };
#undef VMCS_FIELD_ENUM_ENTRY

/* "VMCS_GUEST_RIP" for 0x681E (the high half of a 64-bit field, encoding
 * | 1, gets the field's name too), "unknown" for anything else. For
 * messages: a failed VMREAD/VMWRITE names the field it was about. */
const char *vmcs_field_name(uint32_t encoding);

#endif
