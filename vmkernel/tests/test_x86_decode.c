/* The MMIO store decoder the COS's APIC trap depends on: lengths, values
 * and every refusal, on the encodings compilers emit for 32-bit stores. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mov_reg_forms),
		cmocka_unit_test(test_imm_and_xchg),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
