/* The SVM virtual-machine control block (AMD APM vol. 2, appendix B).
 * Packed, reserved ranges named by offset, key offsets asserted. */
#ifndef VMK_X86_VMCB_H
#define VMK_X86_VMCB_H
#include <stdint.h>
#include <vmk/launch.h>   /* struct vmk_seg has the VMCB segment layout */

/* intercept_misc1 (offset 0x00c) */
#define SVM_I1_INTR     (1u << 0)
#define SVM_I1_NMI      (1u << 1)
#define SVM_I1_INIT     (1u << 3)
#define SVM_I1_CPUID    (1u << 18)
#define SVM_I1_IRET     (1u << 20)
#define SVM_I1_INVD     (1u << 22)
#define SVM_I1_PAUSE    (1u << 23)
#define SVM_I1_HLT      (1u << 24)
#define SVM_I1_INVLPGA  (1u << 26)
#define SVM_I1_IOIO     (1u << 27)
#define SVM_I1_MSR      (1u << 28)
#define SVM_I1_SHUTDOWN (1u << 31)
/* intercept_misc2 (offset 0x010) */
#define SVM_I2_VMRUN    (1u << 0)
#define SVM_I2_VMMCALL  (1u << 1)
#define SVM_I2_VMLOAD   (1u << 2)
#define SVM_I2_VMSAVE   (1u << 3)
#define SVM_I2_STGI     (1u << 4)
#define SVM_I2_CLGI     (1u << 5)
#define SVM_I2_SKINIT   (1u << 6)
#define SVM_I2_XSETBV   (1u << 13)

#define SVM_NP_ENABLE   (1ull << 0)
#define SVM_TLB_FLUSH_ALL 1u

/* EVENTINJ */
#define SVM_EVT_VALID   (1ull << 31)
#define SVM_EVT_ERR     (1ull << 11)
#define SVM_EVT_TYPE    (7ull << 8)
#define SVM_EVT_NMI     (2ull << 8)
/* int_ctl: the virtual interrupt (V_IRQ, its priority, ignore V_TPR). */
#define SVM_INT_V_IRQ        (1u << 8)
#define SVM_INT_V_PRIO_SHIFT 16
#define SVM_INT_V_IGN_TPR    (1u << 20)
#define SVM_EVT_EXCEPTION (3ull << 8)

/* Exit codes */
#define SVM_EXIT_EXCP0    0x040
#define SVM_EXIT_EXCP_DB  0x041
#define SVM_EXIT_INTR     0x060
#define SVM_EXIT_NMI      0x061
#define SVM_EXIT_CPUID    0x072
#define SVM_EXIT_IRET     0x074
#define SVM_EXIT_INVD     0x076
#define SVM_EXIT_PAUSE    0x077
#define SVM_EXIT_HLT      0x078
#define SVM_EXIT_IOIO     0x07b
#define SVM_EXIT_MSR      0x07c
#define SVM_EXIT_SHUTDOWN 0x07f
#define SVM_EXIT_VMRUN    0x080
#define SVM_EXIT_VMMCALL  0x081
#define SVM_EXIT_VMLOAD   0x082
#define SVM_EXIT_VMSAVE   0x083
#define SVM_EXIT_STGI     0x084
#define SVM_EXIT_CLGI     0x085
#define SVM_EXIT_SKINIT   0x086
#define SVM_EXIT_XSETBV   0x08d
#define SVM_EXIT_NPF      0x400
#define SVM_EXIT_INVALID  ((uint64_t)-1)

struct vmcb_control {
	uint32_t intercept_cr;          /* 0x000 */
	uint32_t intercept_dr;          /* 0x004 */
	uint32_t intercept_exc;         /* 0x008 */
	uint32_t intercept_misc1;       /* 0x00c */
	uint32_t intercept_misc2;       /* 0x010 */
	uint32_t intercept_misc3;       /* 0x014 */
	uint8_t  rsvd_018[0x03c - 0x018];
	uint16_t pause_filter_thresh;   /* 0x03c */
	uint16_t pause_filter_count;    /* 0x03e */
	uint64_t iopm_base_pa;          /* 0x040 */
	uint64_t msrpm_base_pa;         /* 0x048 */
	uint64_t tsc_offset;            /* 0x050 */
	uint32_t asid;                  /* 0x058 */
	uint8_t  tlb_control;           /* 0x05c */
	uint8_t  rsvd_05d[3];
	uint32_t int_ctl;               /* 0x060 */
	uint32_t int_vector;            /* 0x064 */
	uint64_t int_state;             /* 0x068 */
	uint64_t exit_code;             /* 0x070 */
	uint64_t exit_info_1;           /* 0x078 */
	uint64_t exit_info_2;           /* 0x080 */
	uint64_t exit_int_info;         /* 0x088 */
	uint64_t nested_ctl;            /* 0x090 */
	uint64_t avic_vapic_bar;        /* 0x098 */
	uint64_t ghcb_pa;               /* 0x0a0 */
	uint64_t event_inj;             /* 0x0a8 */
	uint64_t nested_cr3;            /* 0x0b0 */
	uint64_t virt_ext;              /* 0x0b8 */
	uint32_t clean;                 /* 0x0c0 */
	uint32_t rsvd_0c4;
	uint64_t next_rip;              /* 0x0c8 */
	uint8_t  insn_len;              /* 0x0d0 */
	uint8_t  insn_bytes[15];        /* 0x0d1 */
	uint8_t  rsvd_0e0[0x400 - 0x0e0];
} __attribute__((packed));

struct vmcb_save {
	struct vmk_seg es, cs, ss, ds, fs, gs;  /* 0x400 .. 0x45f */
	struct vmk_seg gdtr, ldtr, idtr, tr;    /* 0x460 .. 0x49f */
	uint8_t  rsvd_4a0[0x4cb - 0x4a0];
	uint8_t  cpl;                   /* 0x4cb */
	uint32_t rsvd_4cc;
	uint64_t efer;                  /* 0x4d0 */
	uint8_t  rsvd_4d8[0x548 - 0x4d8];
	uint64_t cr4;                   /* 0x548 */
	uint64_t cr3;                   /* 0x550 */
	uint64_t cr0;                   /* 0x558 */
	uint64_t dr7;                   /* 0x560 */
	uint64_t dr6;                   /* 0x568 */
	uint64_t rflags;                /* 0x570 */
	uint64_t rip;                   /* 0x578 */
	uint8_t  rsvd_580[0x5d8 - 0x580];
	uint64_t rsp;                   /* 0x5d8 */
	uint8_t  rsvd_5e0[0x5f8 - 0x5e0];
	uint64_t rax;                   /* 0x5f8 */
	uint64_t star;                  /* 0x600 */
	uint64_t lstar;                 /* 0x608 */
	uint64_t cstar;                 /* 0x610 */
	uint64_t sfmask;                /* 0x618 */
	uint64_t kernel_gs_base;        /* 0x620 */
	uint64_t sysenter_cs;           /* 0x628 */
	uint64_t sysenter_esp;          /* 0x630 */
	uint64_t sysenter_eip;          /* 0x638 */
	uint64_t cr2;                   /* 0x640 */
	uint8_t  rsvd_648[0x668 - 0x648];
	uint64_t g_pat;                 /* 0x668 */
	uint64_t dbgctl;                /* 0x670 */
	uint8_t  rsvd_678[0x1000 - 0x678 - 0x400];
} __attribute__((packed));

struct vmcb {
	struct vmcb_control c;
	struct vmcb_save s;
} __attribute__((packed, aligned(4096)));

#define VMCB_OFF(f) __builtin_offsetof(struct vmcb, f)
_Static_assert(sizeof(struct vmk_seg) == 16, "VMCB segment is 16 bytes");
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");
_Static_assert(VMCB_OFF(c.asid) == 0x058, "asid");
_Static_assert(VMCB_OFF(c.exit_code) == 0x070, "exit_code");
_Static_assert(VMCB_OFF(c.nested_ctl) == 0x090, "nested_ctl");
_Static_assert(VMCB_OFF(c.event_inj) == 0x0a8, "event_inj");
_Static_assert(VMCB_OFF(c.nested_cr3) == 0x0b0, "nested_cr3");
_Static_assert(VMCB_OFF(c.next_rip) == 0x0c8, "next_rip");
_Static_assert(VMCB_OFF(s.cs) == 0x410, "cs");
_Static_assert(VMCB_OFF(s.tr) == 0x490, "tr");
_Static_assert(VMCB_OFF(s.cpl) == 0x4cb, "cpl");
_Static_assert(VMCB_OFF(s.efer) == 0x4d0, "efer");
_Static_assert(VMCB_OFF(s.cr4) == 0x548, "cr4");
_Static_assert(VMCB_OFF(s.rip) == 0x578, "rip");
_Static_assert(VMCB_OFF(s.rsp) == 0x5d8, "rsp");
_Static_assert(VMCB_OFF(s.rax) == 0x5f8, "rax");
_Static_assert(VMCB_OFF(s.kernel_gs_base) == 0x620, "kernel_gs_base");
_Static_assert(VMCB_OFF(s.cr2) == 0x640, "cr2");
_Static_assert(VMCB_OFF(s.g_pat) == 0x668, "g_pat");

#endif
