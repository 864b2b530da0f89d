/* netpath ABI: the memory shared by a VM's NIC driver and the vmkernel.
 * Included by the guest driver, the vmkernel back end and hosted tools;
 * never duplicated.  Bump NETPATH_ABI_VERSION on any change below (the ring
 * header layout of ring_core.h is part of it).
 *
 * A netpath device has two rings, each a ring_core ring in guest memory, of
 * struct netpath_desc slots (TX may use 8-byte words instead, below):
 *
 *   TX  driver produces descriptors naming guest buffers holding frames;
 *       the vmkernel reads the frames in place (zero copy) and releases the
 *       slots once the device is done with them.  One doorbell per batch.
 *   RX  driver produces descriptors naming empty guest buffers; the vmkernel
 *       lets the device write frames into them in place, writes the frame
 *       length and NETPATH_DESC_F_DONE back into the slot and releases it,
 *       then has the VMM raise an interrupt if the driver armed one.
 *
 * Every address is guest-physical; the vmkernel translates it through the
 * VM's region table and treats every field as hostile. */
#ifndef VMK_NETPATH_ABI_H
#define VMK_NETPATH_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "ring_core.h"

#define NETPATH_ABI_VERSION 2u

#define NETPATH_MAX_FRAME 65536u    /* bytes in one frame, all segments */
#define NETPATH_MAX_SEGS 16u        /* segments one TX frame may have */
#define NETPATH_MAX_INDIRECT 64u    /* entries one indirect table may have */

/* netpath_desc.flags */
#define NETPATH_DESC_F_INDIRECT 0x0001u /* TX: gpa/len name a netpath_seg table */
#define NETPATH_DESC_F_DONE     0x0100u /* RX write-back: buffer holds a frame */
#define NETPATH_DESC_F_ERR      0x0200u /* write-back: descriptor was malformed */
#define NETPATH_DESC_F_DRIVER   0x00ffu /* bits the driver may set */

/* One ring slot. */
struct netpath_desc {
	uint64_t gpa;     /* +0  buffer (or indirect table) */
	uint32_t len;     /* +8  TX: frame bytes; RX: capacity, then bytes written */
	uint16_t flags;   /* +12 NETPATH_DESC_F_* */
	uint16_t id;      /* +14 driver's cookie, never interpreted by the vmkernel */
};
_Static_assert(sizeof(struct netpath_desc) == 16, "netpath_desc size");
_Static_assert(offsetof(struct netpath_desc, flags) == 12, "netpath_desc flags");
/* Four descriptors a cache line, none straddling one (the slots start on a
 * line): a batch of 32 at a 32-aligned index is exactly 8 lines. */
_Static_assert(RING_CACHE_LINE % sizeof(struct netpath_desc) == 0, "netpath_desc packs lines");

/* netpath_seg.flags */
#define NETPATH_SEG_F_NEXT 0x0001u      /* `next` names the following segment */

/* One entry of an indirect table (multi-segment TX frame).  The frame starts
 * at entry 0 and follows `next` while NETPATH_SEG_F_NEXT is set. */
struct netpath_seg {
	uint64_t gpa;     /* +0  */
	uint32_t len;     /* +8  */
	uint16_t flags;   /* +12 */
	uint16_t next;    /* +14 index into the same table */
};
_Static_assert(sizeof(struct netpath_seg) == 16, "netpath_seg size");

/* TX word format (netpath_queue_cfg.format = NETPATH_FMT_WORD): each TX
 * slot is one 8-byte word naming a one-segment frame, half a descriptor's
 * size, so a batch of 32 is 4 cache lines instead of 8.
 *   bits  0..15  len, 1..65535
 *   bits 16..23  reserved, zero (anything else: NETPATH_BAD_FLAGS)
 *   bits 24..63  gpa, below 2^40
 * No indirect tables and no cookie: a frame's id is its ring index (low 16
 * bits), which is all an in-order driver needs.  RX always uses
 * struct netpath_desc (the vmkernel writes results back into it). */
typedef uint64_t netpath_txw;
#define NETPATH_TXW_LEN_MAX 0xffffu
#define NETPATH_TXW_RSVD 0x0000000000ff0000ull
#define NETPATH_TXW_GPA_SHIFT 24
#define NETPATH_TXW_GPA_LIMIT (1ull << 40)  /* gpa must be below this */

/* The word for a frame, or 0 (never a valid word: len 0) if the frame
 * cannot be described by one. */
static inline netpath_txw netpath_txw_make(uint64_t gpa, uint32_t len)
{
	if (len == 0 || len > NETPATH_TXW_LEN_MAX || gpa >= NETPATH_TXW_GPA_LIMIT)
		return 0;
	return gpa << NETPATH_TXW_GPA_SHIFT | len;
}

/* netpath_queue_cfg.format */
#define NETPATH_FMT_DESC 0u   /* struct netpath_desc slots (TX and RX) */
#define NETPATH_FMT_WORD 1u   /* netpath_txw slots (TX only) */

/* Bytes a slot of @format takes (NETPATH_FMT_DESC or NETPATH_FMT_WORD;
 * callers check the format first). */
static inline uint32_t netpath_slot_size(uint32_t format)
{
	return format == NETPATH_FMT_WORD ? sizeof(netpath_txw) : sizeof(struct netpath_desc);
}

/* Where the rings are: handed to the vmkernel once, at set-up. */
struct netpath_queue_cfg {
	uint64_t ring_gpa;   /* 64-byte aligned; ring_mem_size(nslots, slot size) bytes */
	uint32_t nslots;     /* power of two, at most RING_MAX_SLOTS */
	uint32_t format;     /* NETPATH_FMT_*: slot size 16 (DESC) or 8 (WORD) */
};
_Static_assert(sizeof(struct netpath_queue_cfg) == 16, "netpath_queue_cfg size");

struct netpath_dev_cfg {
	uint32_t abi_version;          /* +0  NETPATH_ABI_VERSION */
	uint32_t rsvd_04;
	struct netpath_queue_cfg tx;   /* +8  */
	struct netpath_queue_cfg rx;   /* +24 */
};
_Static_assert(sizeof(struct netpath_dev_cfg) == 40, "netpath_dev_cfg size");
_Static_assert(offsetof(struct netpath_dev_cfg, rx) == 24, "netpath_dev_cfg rx");

#endif
