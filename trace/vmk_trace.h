/* vmk trace event format: the one versioned ABI shared by the vmkernel (which
 * writes events into per-CPU rings), the COS (which maps the rings read-only
 * and drains them) and the hosted tools (tests, benchmarks, CTF export).
 *
 * Plain C: it compiles freestanding (gcc's own stdint/stddef only) and hosted.
 *
 * Compatibility: a reader accepts a ring whose major version equals its own
 * and whose minor version is <= its own.  Minor bumps may only append event
 * ids or payload fields in bytes that were zero before; anything else is a
 * major bump.
 */
#ifndef VMK_TRACE_H
#define VMK_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define VMK_TRACE_VERSION_MAJOR 1u
#define VMK_TRACE_VERSION_MINOR 0u
#define VMK_TRACE_RING_MAGIC    0x544b4d56u   /* "VMKT" little endian */

/* Event ids: ABI, append only.  0 is never written so that a zeroed slot is
 * recognisably empty. */
enum trace_event_id {
	TRACE_EV_NONE = 0,
	TRACE_EV_WORLD_SWITCH = 1,  /* a CPU stops one world and starts another */
	TRACE_EV_VM_ENTRY = 2,      /* VMRUN of a vCPU: CTF "kvm_x86_entry" */
	TRACE_EV_VM_EXIT = 3,       /* #VMEXIT of a vCPU: CTF "kvm_x86_exit" */
	TRACE_EV_HYPERCALL = 4,     /* VMMCALL dispatched */
	TRACE_EV_IRQ_FORWARD = 5,   /* host-managed device interrupt to the COS */
	TRACE_EV_IRQ_INJECT = 6,    /* virtual interrupt injected into a vCPU */
	TRACE_EV_SCHED = 7,         /* scheduler decision on this CPU */
	TRACE_EV_NETPATH_REQ = 8,   /* one netpath TX or RX request */
	TRACE_EV_STORPATH_REQ = 9,  /* one storpath request */
	TRACE_EV_COUNT
};

/* A disabled event costs one load, one test and one branch: the per-event
 * bit is checked before any argument is used or the clock is read. */
#define TRACE_EV_BIT(id)  (UINT64_C(1) << (id))
#define TRACE_EV_ALL      (((UINT64_C(1) << TRACE_EV_COUNT) - 1) & ~UINT64_C(1))

/* One record is one cache line: fixed size keeps the writer branch-free and
 * lets the reader find record n at slot n mod N without parsing.
 *
 * seq is the commit word: 0 while the writer fills the slot, n + 1 once
 * record n is complete.  A reader that sees the same n + 1 before and after
 * copying the slot has an untorn copy; anything else means the writer reused
 * the slot meanwhile, and the record is counted lost. */
struct trace_record {
	uint64_t seq;
	uint64_t tsc;            /* TSC at the event (rdtsc on the writing CPU) */
	uint16_t id;             /* enum trace_event_id */
	uint16_t cpu;            /* physical CPU that wrote it */
	uint32_t world;          /* world running on that CPU at the event */
	uint64_t dropped_total;  /* drop-new mode: events the writer had refused
	                          * before this one, since the ring was set up;
	                          * lets the reader place drops in the stream */
	uint64_t payload[4];     /* per-event layout below */
};
_Static_assert(sizeof(struct trace_record) == 64, "one record per cache line");
_Static_assert(offsetof(struct trace_record, payload) == 32, "payload at 32");

/* Payload layouts.  Each overlays trace_record.payload (32 bytes, little
 * endian); the field table in trace_events.c describes the same offsets to
 * the CTF writer and the COS summary, so the layouts live in one place. */
struct trace_p_world_switch {
	uint32_t prev_world;
	uint32_t next_world;
	uint32_t reason;         /* enum trace_switch_reason */
	uint32_t reserved;
	uint64_t unused[2];
};

/* Field names follow LTTng's kvm_x86_entry so that KVM-minded analyses
 * (Trace Compass's virtual machine view) read vmk worlds as vCPUs. */
struct trace_p_vm_entry {
	uint32_t vcpu_id;
	uint32_t reserved;
	uint64_t guest_rip;
	uint64_t unused[2];
};

/* kvm_x86_exit: exit_reason is the SVM exit code, info1/info2 EXITINFO1/2. */
struct trace_p_vm_exit {
	uint32_t exit_reason;
	uint32_t vcpu_id;
	uint64_t guest_rip;
	uint64_t info1;
	uint64_t info2;
};

struct trace_p_hypercall {
	uint32_t nr;
	int32_t ret;             /* vmk_err or the call's result */
	uint64_t arg0;
	uint64_t arg1;
	uint64_t unused;
};

struct trace_p_irq_forward {
	uint32_t irq;            /* host GSI */
	uint32_t vector;
	uint32_t masked;         /* 1: COS not running, source masked, held */
	uint32_t reserved;
	uint64_t unused[2];
};

struct trace_p_irq_inject {
	uint32_t vcpu_id;
	uint32_t vector;
	uint64_t unused[3];
};

struct trace_p_sched {
	uint32_t prev_world;
	uint32_t next_world;
	uint32_t reason;         /* enum trace_switch_reason */
	uint32_t runnable;       /* runnable worlds on this CPU after the pick */
	uint64_t slice_tsc;      /* time slice granted, in TSC ticks */
	uint64_t unused;
};

struct trace_p_io_req {      /* netpath and storpath */
	uint32_t queue;
	uint32_t op;             /* enum trace_io_op */
	uint64_t len;            /* bytes */
	uint64_t addr;           /* storpath: LBA; netpath: guest buffer address */
	uint64_t cookie;         /* request id, matches completion to request */
};

_Static_assert(sizeof(struct trace_p_world_switch) == 32, "payload size");
_Static_assert(sizeof(struct trace_p_vm_entry) == 32, "payload size");
_Static_assert(sizeof(struct trace_p_vm_exit) == 32, "payload size");
_Static_assert(sizeof(struct trace_p_hypercall) == 32, "payload size");
_Static_assert(sizeof(struct trace_p_irq_forward) == 32, "payload size");
_Static_assert(sizeof(struct trace_p_irq_inject) == 32, "payload size");
_Static_assert(sizeof(struct trace_p_sched) == 32, "payload size");
_Static_assert(sizeof(struct trace_p_io_req) == 32, "payload size");
_Static_assert(offsetof(struct trace_p_vm_exit, guest_rip) == 8, "rip at 8");

enum trace_switch_reason {
	TRACE_SW_YIELD = 0, TRACE_SW_PREEMPT = 1, TRACE_SW_BLOCK = 2,
	TRACE_SW_WAKE = 3, TRACE_SW_HALT = 4,
};

enum trace_io_op {
	TRACE_IO_TX = 0, TRACE_IO_RX = 1, TRACE_IO_READ = 2,
	TRACE_IO_WRITE = 3, TRACE_IO_FLUSH = 4, TRACE_IO_DONE = 5,
};

/* Self-description of the payloads, for the CTF writer and summaries. */
enum trace_field_base { TRACE_FB_DEC = 10, TRACE_FB_HEX = 16 };

struct trace_field {
	const char *name;
	uint8_t offset;          /* byte offset in trace_record.payload */
	uint8_t size;            /* bytes: 4 or 8 */
	uint8_t is_signed;
	uint8_t base;            /* enum trace_field_base */
};

#define TRACE_MAX_FIELDS 6

struct trace_event_desc {
	const char *name;        /* CTF event name */
	uint8_t nr_fields;
	struct trace_field fields[TRACE_MAX_FIELDS];
};

/* Indexed by enum trace_event_id; entry 0 is unnamed. */
extern const struct trace_event_desc trace_event_descs[TRACE_EV_COUNT];

#endif
