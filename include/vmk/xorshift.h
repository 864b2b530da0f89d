/* Marsaglia's xorshift generators, for tests and benchmarks that need a
 * cheap, repeatable stream (never for anything that must be unpredictable).
 * The state must not be 0. */
#ifndef VMK_XORSHIFT_H
#define VMK_XORSHIFT_H
#include <stdint.h>

static inline uint64_t vmk_xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline uint32_t vmk_xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

#endif
