/* The VMM layer's own per-VM state and the calls between its files:
 * hv/vmm.c (VMs from hv.cfg, their lifecycle), hv/vmm_console.c (guest
 * console lines, where typed input goes), hv/vmm_shell.c (the operator
 * shell's view of the VMs). */
#ifndef HV_VMM_PRIV_H
#define HV_VMM_PRIV_H

#include "hv/config.h"
#include "hv/loader.h"
#include "hv/shell.h"
#include "hv/spinlock.h"
#include "hv/vm.h"

#define VMM_LINE_MAX 200 /* a guest console line longer than this is split */
#define VMM_REASON_MAX 120

struct vmm_vm {
	const struct vm_config *cfg;
	struct vm *vm;
	/* the guest's console output, gathered into lines */
	char line[VMM_LINE_MAX + 1];
	uint32_t line_len;
	uint64_t line_tsc;      /* when the last byte came */
	spinlock_t line_lock;   /* vCPU threads write, the console CPU flushes */
	uint64_t ram_hpa, ram_pages, ro_hpa, ro_pages, shared_hpa;
	const uint8_t *image;
	size_t image_len;
	const uint8_t *initrd;
	size_t initrd_len;
	struct mb_module mods[CONFIG_MAX_MODULES]; /* entry = "multiboot" */
	size_t mod_count;
	volatile bool poweroff_pending; /* the guest entered ACPI S5 */
	char reset_msg[VMM_REASON_MAX]; /* why the pending reset happens */
	volatile uint32_t reset_pending; /* bit n: vCPU n has yet to reset */
	volatile uint32_t threads;       /* vCPU threads still running */
	uint32_t restarts;
	uint64_t last_failure_tsc;  /* on_stop = "restart": back-off state */
	uint32_t failure_streak;
	uint64_t restart_at_tsc;    /* the BSP reloads no earlier than this */
	char reason[VMM_REASON_MAX];     /* why it stopped or last restarted */
};

static inline struct vmm_vm *vmm_of(struct vm *vm)
{
	return vm->vmm;
}

/* hv/vmm.c */
uint32_t vmm_vm_count(void);
struct vm *vmm_vm_at(uint32_t index);
const struct hv_config *vmm_config(void);
/* "running", "halted" (every vCPU in HLT), "restarting", "stopped" */
const char *vmm_vm_state(struct vm *vm);
/* The operator's controls; on failure msg says why. */
int vmm_vm_start(struct vm *vm, char *msg, size_t msglen);
int vmm_vm_stop(struct vm *vm, char *msg, size_t msglen);
int vmm_vm_restart(struct vm *vm, char *msg, size_t msglen);
/* The boot CPU's vCPU, when a VM owns CPU 0: runs it until it stops. */
void vmm_run_local_vcpu(void);

/* hv/vmm_console.c */
void vmm_console_byte(struct vm *vm, uint8_t c);
void vmm_console_flush(struct vm *vm);
/* Input goes to `vm`'s UART first (NULL: the shell). */
void vmm_console_init(struct vm *focus);
/* From any CPU: the console returns to the shell at its next poll
 * (the VM it served stopped, or every VM did). */
void vmm_console_want_shell(struct vm *stopped);
/* The console CPU: attach input to a VM (the shell's `console VM`). */
int vmm_console_attach(struct vm *vm);
/* Why no VM runs (an invalid configuration), told when the shell starts. */
void vmm_console_set_note(const char *note);

/* hv/vmm_shell.c */
extern const struct shell_ops vmm_shell_ops;

#endif
