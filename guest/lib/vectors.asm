; Entry stubs for exceptions 0-31 (SDM 3A 6.3.1) and interrupts 32-63. Each pushes a dummy error
; code where the CPU pushes none (SDM 3A table 6-1), then its vector, so
; trap_handler() sees one frame layout (struct trap_frame in trap.h).

extern trap_handler
global trap_stubs

; vectors whose exceptions push an error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)
; (interrupts 32-63 never push one)

section .text
bits 32
%assign v 0
%rep 64
trap_stub_ %+ v:
%if !HAS_ERROR(v)
        push 0
%endif
        push v
        jmp trap_common
%assign v v + 1
%endrep

trap_common:
        pushad
        push esp                    ; struct trap_frame *
        call trap_handler           ; may rewrite the saved EIP (fixups)
        add esp, 4
        popad
        add esp, 8                  ; vector and error code
        iretd

section .rodata
align 4
trap_stubs:
%assign v 0
%rep 64
        dd trap_stub_ %+ v
%assign v v + 1
%endrep
