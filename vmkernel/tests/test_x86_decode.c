/* The MMIO decoder the COS's APIC trap (stores) and the VMs' xAPIC page
 * (loads and stores) depend on: lengths, values, registers and every
 * refusal, on the encodings compilers emit for 32-bit accesses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdbool.h>
#include <cmocka.h>
#include <vmk/err.h>
#include "x86_decode.h"

static const uint64_t regs[16] = {
	0x1111111100000000, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	0x9999999900000099, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x1010,
};

static void ok(const uint8_t *b, unsigned n, unsigned len, uint32_t value, int xchg)
{
	struct x86_store w;

	assert_int_equal(x86_decode_store32(b, n, regs, &w), VMK_OK);
	assert_int_equal(w.len, len);
	assert_int_equal(w.value, value);
	assert_int_equal(w.xchg_reg, xchg);
}

static void bad(const uint8_t *b, unsigned n)
{
	struct x86_store w;

	assert_int_equal(x86_decode_store32(b, n, regs, &w), VMK_EINVAL);
}

static void test_mov_reg_forms(void **state)
{
	(void)state;
	/* mov %esi, (%rdi) */
	ok((const uint8_t[]){ 0x89, 0x37 }, 2, 2, 0x77, -1);
	/* mov %eax, 0xb0(%rdx): disp32 */
	ok((const uint8_t[]){ 0x89, 0x82, 0xb0, 0, 0, 0 }, 6, 6, 0, -1);
	/* mov %ecx, -0x50(%rbp): disp8 */
	ok((const uint8_t[]){ 0x89, 0x4d, 0xb0 }, 3, 3, 0x22, -1);
	/* mov %r8d, (%rax): REX.R */
	ok((const uint8_t[]){ 0x44, 0x89, 0x00 }, 3, 3, 0x99, -1);
	/* mov %edx, 0xffffffffff5fd300 (absolute, SIB without base) */
	ok((const uint8_t[]){ 0x89, 0x14, 0x25, 0x00, 0xd3, 0x5f, 0xff }, 7, 7, 0x33, -1);
	/* mov %ebx, (%rsp,%rcx,4): SIB with base, no disp */
	ok((const uint8_t[]){ 0x89, 0x1c, 0x8c }, 3, 3, 0x44, -1);
	/* mov %eax, 0x10(%rip) */
	ok((const uint8_t[]){ 0x89, 0x05, 0x10, 0, 0, 0 }, 6, 6, 0, -1);
	/* %gs: and 0x67 prefixes */
	ok((const uint8_t[]){ 0x65, 0x67, 0x89, 0x37 }, 4, 4, 0x77, -1);
}

static void test_imm_and_xchg(void **state)
{
	(void)state;
	/* movl $0x12345678, 0xb0(%rax) */
	ok((const uint8_t[]){ 0xc7, 0x80, 0xb0, 0, 0, 0, 0x78, 0x56, 0x34, 0x12 }, 10, 10,
	   0x12345678, -1);
	/* movl $1, (%r9): REX.B */
	ok((const uint8_t[]){ 0x41, 0xc7, 0x01, 1, 0, 0, 0 }, 7, 7, 1, -1);
	/* xchg %r15d, (%rdi): REX.R, old value goes to r15 */
	ok((const uint8_t[]){ 0x44, 0x87, 0x3f }, 3, 3, 0x1010, 15);
}

static void test_refused(void **state)
{
	(void)state;
	bad((const uint8_t[]){ 0x48, 0x89, 0x37 }, 3);          /* REX.W: 64-bit */
	bad((const uint8_t[]){ 0x66, 0x89, 0x37 }, 3);          /* 16-bit */
	bad((const uint8_t[]){ 0x89, 0xc7 }, 2);                /* register destination */
	bad((const uint8_t[]){ 0x88, 0x37 }, 2);                /* byte store */
	bad((const uint8_t[]){ 0xc7, 0x08, 1, 0, 0, 0 }, 6);    /* C7 /1 */
	bad((const uint8_t[]){ 0x09, 0x37 }, 2);                /* or: read-modify-write */
	bad((const uint8_t[]){ 0x89 }, 1);                      /* truncated */
	bad((const uint8_t[]){ 0x89, 0x82, 0xb0, 0 }, 4);       /* disp32 cut short */
	bad((const uint8_t[]){ 0xc7, 0x00, 1, 0 }, 4);          /* imm32 cut short */
	bad((const uint8_t[]){ 0x89, 0x14 }, 2);                /* SIB missing */
	bad((const uint8_t[]){ 0 }, 0);                         /* nothing fetched */
}

/* A load that must decode to @len bytes into register @reg, and that must
 * be refused with any byte cut off (the fetch may stop at an unmapped
 * page). */
static void load_ok(const uint8_t *b, unsigned n, bool lm, unsigned len, int reg)
{
	struct x86_mmio m;

	assert_int_equal(x86_decode_mmio32(b, n, lm, regs, &m), VMK_OK);
	assert_int_equal(m.len, len);
	assert_int_equal(m.op, 0x8b);
	assert_true(m.load);
	assert_false(m.store);
	assert_int_equal(m.reg, reg);
	for (unsigned k = 0; k < len; k++)
		assert_int_equal(x86_decode_mmio32(b, k, lm, regs, &m), VMK_EINVAL);
	/* Bytes after the instruction are not part of it. */
	{
		uint8_t more[32];

		memcpy(more, b, len);
		memset(more + len, 0x8b, sizeof(more) - len);
		assert_int_equal(x86_decode_mmio32(more, sizeof(more), lm, regs, &m), VMK_OK);
		assert_int_equal(m.len, len);
	}
}

/* Refused, naming byte @op. */
static void mmio_bad(const uint8_t *b, unsigned n, bool lm, uint8_t op)
{
	struct x86_mmio m;

	assert_int_equal(x86_decode_mmio32(b, n, lm, regs, &m), VMK_EINVAL);
	assert_int_equal(m.op, op);
}

static void test_load_forms(void **state)
{
	(void)state;
	/* Every mod and r/m, in both modes where the bytes mean the same. */
	for (int lm = 0; lm < 2; lm++) {
		load_ok((const uint8_t[]){ 0x8b, 0x07 }, 2, lm, 2, 0);             /* (%rdi), %eax */
		load_ok((const uint8_t[]){ 0x8b, 0x4b, 0x30 }, 3, lm, 3, 1);       /* 0x30(%rbx), %ecx */
		load_ok((const uint8_t[]){ 0x8b, 0x96, 0xb0, 0, 0, 0 }, 6, lm, 6, 2);  /* disp32 */
		load_ok((const uint8_t[]){ 0x8b, 0x1d, 0x20, 0, 0xe0, 0xfe }, 6, lm, 6, 3); /* rip/abs */
		load_ok((const uint8_t[]){ 0x8b, 0x24, 0x24 }, 3, lm, 3, 4);       /* (%rsp), %esp */
		load_ok((const uint8_t[]){ 0x8b, 0x2c, 0x88 }, 3, lm, 3, 5);       /* (%rax,%rcx,4) */
		load_ok((const uint8_t[]){ 0x8b, 0x34, 0x25, 0x20, 0, 0xe0, 0xfe }, 7, lm, 7, 6);
		load_ok((const uint8_t[]){ 0x8b, 0x3c, 0x8d, 0x20, 0, 0xe0, 0xfe }, 7, lm, 7, 7);
		load_ok((const uint8_t[]){ 0x8b, 0x44, 0x24, 0x30 }, 4, lm, 4, 0);  /* SIB + disp8 */
		load_ok((const uint8_t[]){ 0x8b, 0x84, 0x24, 0x30, 0, 0, 0 }, 7, lm, 7, 0);
		load_ok((const uint8_t[]){ 0x8b, 0x45, 0 }, 3, lm, 3, 0);          /* 0(%rbp) */
		load_ok((const uint8_t[]){ 0x8b, 0x04, 0x65, 0, 0, 0xe0, 0xfe }, 7, lm, 7, 0);
		load_ok((const uint8_t[]){ 0x26, 0x3e, 0x8b, 0x07 }, 4, lm, 4, 0); /* segments */
	}
	/* 64-bit mode: REX.R picks r8-r15, REX.B and REX.X change no length. */
	load_ok((const uint8_t[]){ 0x44, 0x8b, 0x07 }, 3, true, 3, 8);
	load_ok((const uint8_t[]){ 0x45, 0x8b, 0x7c, 0x24, 0x10 }, 5, true, 5, 15);
	load_ok((const uint8_t[]){ 0x42, 0x8b, 0x04, 0xa5, 0, 0, 0xe0, 0xfe }, 8, true, 8, 0);
	load_ok((const uint8_t[]){ 0x41, 0x8b, 0x45, 0x30 }, 4, true, 4, 0);  /* 0x30(%r13) */
	load_ok((const uint8_t[]){ 0x40, 0x8b, 0x07 }, 3, true, 3, 0);        /* empty REX */
	load_ok((const uint8_t[]){ 0x67, 0x8b, 0x07 }, 3, true, 3, 0);        /* (%edi) */
	load_ok((const uint8_t[]){ 0x65, 0x67, 0x46, 0x8b, 0x1d, 1, 2, 3, 4 }, 9, true, 9, 11);
}

static void test_mmio_stores_and_xchg(void **state)
{
	struct x86_mmio m;

	(void)state;
	/* movl $0xf0, 0xb0(%rax) in 32-bit mode: a store with its value */
	assert_int_equal(x86_decode_mmio32((const uint8_t[]){ 0xc7, 0x40, 0x30, 0xf0, 0, 0, 0 },
					   7, false, regs, &m), VMK_OK);
	assert_true(m.store && !m.load && m.value == 0xf0 && m.len == 7 && m.reg == -1);
	/* mov %r9d, (%rdi) */
	assert_int_equal(x86_decode_mmio32((const uint8_t[]){ 0x44, 0x89, 0x0f }, 3, true, regs,
					   &m), VMK_OK);
	assert_true(m.store && !m.load && m.value == 0xaa && m.len == 3 && m.op == 0x89);
	/* xchg %edx, 0x300(%rbx): reads and writes */
	assert_int_equal(x86_decode_mmio32((const uint8_t[]){ 0x87, 0x93, 0, 3, 0, 0 }, 6, true,
					   regs, &m), VMK_OK);
	assert_true(m.store && m.load && m.value == 0x33 && m.reg == 2 && m.len == 6);
	/* The store-only interface refuses a load. */
	bad((const uint8_t[]){ 0x8b, 0x07 }, 2);
}

static void test_mmio_refused(void **state)
{
	uint8_t many[20];

	(void)state;
	mmio_bad((const uint8_t[]){ 0x48, 0x8b, 0x07 }, 3, true, 0x48);   /* REX.W: 64-bit */
	mmio_bad((const uint8_t[]){ 0x66, 0x8b, 0x07 }, 3, true, 0x66);   /* 16-bit */
	mmio_bad((const uint8_t[]){ 0x8a, 0x07 }, 2, true, 0x8a);         /* byte load */
	mmio_bad((const uint8_t[]){ 0x88, 0x07 }, 2, false, 0x88);        /* byte store */
	mmio_bad((const uint8_t[]){ 0x0f, 0xb6, 0x07 }, 3, true, 0x0f);   /* movzbl */
	mmio_bad((const uint8_t[]){ 0x03, 0x07 }, 2, true, 0x03);         /* add m32, r32 */
	mmio_bad((const uint8_t[]){ 0x83, 0x0f, 1 }, 3, true, 0x83);      /* orl $1, (%rdi) */
	mmio_bad((const uint8_t[]){ 0xa1, 0, 0, 0xe0, 0xfe }, 5, false, 0xa1); /* moffs */
	mmio_bad((const uint8_t[]){ 0xf0, 0x87, 0x07 }, 3, true, 0xf0);   /* LOCK */
	mmio_bad((const uint8_t[]){ 0xf3, 0x8b, 0x07 }, 3, true, 0xf3);   /* REP */
	mmio_bad((const uint8_t[]){ 0x8b, 0xc7 }, 2, true, 0x8b);         /* register operand */
	mmio_bad((const uint8_t[]){ 0xc7, 0x0f, 1, 0, 0, 0 }, 6, true, 0xc7); /* C7 /1 */
	/* 32-bit mode: 0x40-0x4f are INC/DEC, 0x67 means 16-bit addressing. */
	mmio_bad((const uint8_t[]){ 0x44, 0x8b, 0x07 }, 3, false, 0x44);
	mmio_bad((const uint8_t[]){ 0x67, 0x8b, 0x07 }, 3, false, 0x67);
	/* Truncated: nothing at all, or the opcode alone. */
	mmio_bad((const uint8_t[]){ 0 }, 0, true, 0);
	mmio_bad((const uint8_t[]){ 0x65, 0x67 }, 2, true, 0);
	mmio_bad((const uint8_t[]){ 0x8b }, 1, true, 0x8b);
	/* More than 15 bytes (the prefixes are legal, the length is not). */
	memset(many, 0x3e, sizeof(many));
	memcpy(many + 9, (const uint8_t[]){ 0x8b, 0x04, 0x25, 0, 0, 0xe0, 0xfe }, 7);
	mmio_bad(many, 16, true, 0x8b);
	load_ok(many + 1, 15, true, 15, 0);   /* 8 prefixes: exactly 15 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mov_reg_forms),
		cmocka_unit_test(test_imm_and_xchg),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_load_forms),
		cmocka_unit_test(test_mmio_stores_and_xchg),
		cmocka_unit_test(test_mmio_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
