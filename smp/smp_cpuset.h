/* A set of physical CPUs: a fixed bitmask of SMP_MAX_CPUS bits (the
 * vmkernel's CPU limit), passed by value or pointer, never allocated.
 *
 * Every operation that takes a CPU number checks it: add/del return
 * VMK_ERANGE and change nothing for a CPU >= SMP_MAX_CPUS, has() says false.
 * Not atomic: a set shared between CPUs needs its owner's lock (the
 * cross-call code reads its online set word by word with atomics instead). */
#ifndef SMP_CPUSET_H
#define SMP_CPUSET_H

#include <stdbool.h>
#include <vmk/err.h>
#include <vmk/launch.h>
#include <vmk/types.h>

#define SMP_MAX_CPUS VMK_MAX_CPUS
#define SMP_CPUSET_WORDS ((SMP_MAX_CPUS + 63) / 64)
/* What smp_cpuset_next() returns after the last CPU. */
#define SMP_CPU_NONE SMP_MAX_CPUS

struct smp_cpuset {
	uint64_t w[SMP_CPUSET_WORDS];
};

static inline uint64_t smp_cpuset_bit(unsigned cpu)
{
	return (uint64_t)1 << (cpu % 64);
}

static inline void smp_cpuset_zero(struct smp_cpuset *s)
{
	unsigned i;

	for (i = 0; i < SMP_CPUSET_WORDS; i++)
		s->w[i] = 0;
}

static inline int smp_cpuset_add(struct smp_cpuset *s, unsigned cpu)
{
	if (cpu >= SMP_MAX_CPUS)
		return VMK_ERANGE;
	s->w[cpu / 64] |= smp_cpuset_bit(cpu);
	return VMK_OK;
}

static inline int smp_cpuset_del(struct smp_cpuset *s, unsigned cpu)
{
	if (cpu >= SMP_MAX_CPUS)
		return VMK_ERANGE;
	s->w[cpu / 64] &= ~smp_cpuset_bit(cpu);
	return VMK_OK;
}

static inline bool smp_cpuset_has(const struct smp_cpuset *s, unsigned cpu)
{
	return cpu < SMP_MAX_CPUS && (s->w[cpu / 64] & smp_cpuset_bit(cpu));
}

/* CPUs 0..n-1. */
static inline int smp_cpuset_fill(struct smp_cpuset *s, unsigned n)
{
	unsigned i;

	if (n > SMP_MAX_CPUS)
		return VMK_ERANGE;
	for (i = 0; i < SMP_CPUSET_WORDS; i++, n = n > 64 ? n - 64 : 0)
		s->w[i] = n >= 64 ? ~(uint64_t)0 : smp_cpuset_bit(n) - 1;
	return VMK_OK;
}

static inline bool smp_cpuset_empty(const struct smp_cpuset *s)
{
	unsigned i;

	for (i = 0; i < SMP_CPUSET_WORDS; i++)
		if (s->w[i])
			return false;
	return true;
}

/* By hand: __builtin_popcountll is a libgcc call without -mpopcnt, and the
 * freestanding build links no libgcc. */
static inline unsigned smp_cpuset_count(const struct smp_cpuset *s)
{
	unsigned i, n = 0;
	uint64_t x;

	for (i = 0; i < SMP_CPUSET_WORDS; i++)
		for (x = s->w[i]; x; x &= x - 1)
			n++;
	return n;
}

static inline bool smp_cpuset_equal(const struct smp_cpuset *a, const struct smp_cpuset *b)
{
	unsigned i;

	for (i = 0; i < SMP_CPUSET_WORDS; i++)
		if (a->w[i] != b->w[i])
			return false;
	return true;
}

/* Every CPU of @a is in @b. */
static inline bool smp_cpuset_subset(const struct smp_cpuset *a, const struct smp_cpuset *b)
{
	unsigned i;

	for (i = 0; i < SMP_CPUSET_WORDS; i++)
		if (a->w[i] & ~b->w[i])
			return false;
	return true;
}

/* d = a | b, a & b, a & ~b; d may be a or b. */
static inline void smp_cpuset_or(struct smp_cpuset *d, const struct smp_cpuset *a,
				 const struct smp_cpuset *b)
{
	unsigned i;

	for (i = 0; i < SMP_CPUSET_WORDS; i++)
		d->w[i] = a->w[i] | b->w[i];
}

static inline void smp_cpuset_and(struct smp_cpuset *d, const struct smp_cpuset *a,
				  const struct smp_cpuset *b)
{
	unsigned i;

	for (i = 0; i < SMP_CPUSET_WORDS; i++)
		d->w[i] = a->w[i] & b->w[i];
}

static inline void smp_cpuset_andnot(struct smp_cpuset *d, const struct smp_cpuset *a,
				     const struct smp_cpuset *b)
{
	unsigned i;

	for (i = 0; i < SMP_CPUSET_WORDS; i++)
		d->w[i] = a->w[i] & ~b->w[i];
}

/* The lowest CPU >= @from in @s, or SMP_CPU_NONE. */
static inline unsigned smp_cpuset_next(const struct smp_cpuset *s, unsigned from)
{
	unsigned i = from / 64;
	uint64_t x;

	if (from >= SMP_MAX_CPUS)
		return SMP_CPU_NONE;
	for (x = s->w[i] & (~(uint64_t)0 << (from % 64)); ; x = s->w[i]) {
		if (x)
			return i * 64 + (unsigned)__builtin_ctzll(x);
		if (++i == SMP_CPUSET_WORDS)
			return SMP_CPU_NONE;
	}
}

#define smp_cpuset_for_each(cpu, s) \
	for ((cpu) = smp_cpuset_next((s), 0); (cpu) < SMP_MAX_CPUS; \
	     (cpu) = smp_cpuset_next((s), (cpu) + 1))

#endif
