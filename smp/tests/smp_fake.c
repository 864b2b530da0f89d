#include "smp_fake.h"

#include <stdlib.h>

static void fake_send_ipi(void *ctx, const struct smp_cpuset *set)
{
	struct smp_fake *f = ctx;

	assert_true(f->nsends < FAKE_MAX_SENDS);
	f->sent[f->nsends] = *set;
	f->sender[f->nsends++] = f->cur;
	smp_cpuset_or(&f->ipi_pending, &f->ipi_pending, set);
}

static void fake_record(struct smp_fake *f, enum fake_op op, uint32_t asid, uintptr_t va)
{
	assert_true(f->nflush < FAKE_MAX_FLUSHES);
	f->flush[f->nflush++] = (struct fake_flush){ f->cur, op, asid, va };
}

static void fake_flush_page(void *ctx, uint32_t asid, uintptr_t va)
{
	fake_record(ctx, FAKE_PAGE, asid, va);
}

static void fake_flush_asid(void *ctx, uint32_t asid)
{
	fake_record(ctx, FAKE_ASID, asid, 0);
}

static void fake_flush_all(void *ctx)
{
	fake_record(ctx, FAKE_ALL, 0, 0);
}

int smp_fake_deliver(struct smp_fake *f, unsigned cpu)
{
	unsigned was = f->cur;
	int n;

	smp_cpuset_del(&f->ipi_pending, cpu);
	f->cur = cpu;
	n = smp_handle_ipi(&f->s);
	f->cur = was;
	return n;
}

static void fake_pause(void *ctx)
{
	struct smp_fake *f = ctx;
	struct smp_cpuset go;
	unsigned cpu;

	f->clock++;
	f->pauses++;
	smp_cpuset_and(&go, &f->ipi_pending, &f->answering);
	smp_cpuset_for_each(cpu, &go)
		smp_fake_deliver(f, cpu);
	if (f->on_pause)
		f->on_pause(f);
}

static unsigned fake_this_cpu(void *ctx)
{
	return ((struct smp_fake *)ctx)->cur;
}

static uint64_t fake_now(void *ctx)
{
	return ((struct smp_fake *)ctx)->clock;
}

const struct smp_ops smp_fake_ops = {
	fake_send_ipi, fake_flush_page, fake_flush_asid, fake_flush_all,
	fake_pause, fake_this_cpu, fake_now, NULL,
};

int smp_fake_setup(void **state)
{
	struct smp_fake *f = calloc(1, sizeof(*f));
	struct smp_ops ops = smp_fake_ops;
	struct smp_config cfg;
	unsigned cpu;

	if (!f)
		return -1;
	ops.ctx = f;
	smp_config_default(&cfg, 4);
	if (smp_init(&f->s, &ops, &cfg) != VMK_OK)
		return -1;
	for (cpu = 0; cpu < 4; cpu++)
		if (smp_cpu_set_online(&f->s, cpu, true) != VMK_OK)
			return -1;
	smp_cpuset_fill(&f->answering, 4);
	*state = f;
	return 0;
}

int smp_fake_teardown(void **state)
{
	free(*state);
	return 0;
}

unsigned smp_fake_count(const struct smp_fake *f, unsigned cpu, enum fake_op op)
{
	unsigned i, n = 0;

	for (i = 0; i < f->nflush; i++)
		n += f->flush[i].cpu == cpu && f->flush[i].op == op;
	return n;
}

struct smp_cpuset smp_fake_set(uint64_t mask)
{
	struct smp_cpuset s;

	smp_cpuset_zero(&s);
	s.w[0] = mask;
	return s;
}
