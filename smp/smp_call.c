/* Cross-calls: one mailbox per CPU, one call in flight machine-wide (the
 * call lock), a bounded wait that withdraws what was not picked up. */
#include "smp.h"

/* What smp_call() was asked, carried down its helpers. */
struct smp_call_req {
	const struct smp_cpuset *set;
	smp_call_fn fn;
	void *arg;
	uint64_t timeout;
	struct smp_cpuset *missing;
	bool tlb;        /* a shootdown: counted as one, and a CPU it gives up on owes a flush */
};

static inline uint64_t smp_mb_word(uint64_t seq, uint64_t state)
{
	return seq << 2 | state;
}

/* The per-CPU flags are touched only by their CPU, but an interrupt may
 * nest on it: atomics keep the compiler from caching or tearing them. */
static inline bool smp_flag(const uint8_t *f)
{
	return __atomic_load_n(f, __ATOMIC_RELAXED);
}

static inline void smp_flag_set(uint8_t *f, bool v)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(f, v, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void smp_config_default(struct smp_config *cfg, unsigned ncpus)
{
	cfg->ncpus = ncpus;
	cfg->tlb_full_threshold = SMP_TLB_FULL_DEFAULT;
}

static bool smp_ops_valid(const struct smp_ops *o)
{
	return o->send_ipi && o->flush_page && o->flush_asid && o->flush_all &&
	       o->pause && o->this_cpu && o->now;
}

int smp_init(struct smp *s, const struct smp_ops *ops, const struct smp_config *cfg)
{
	static const struct smp_stats zero;
	unsigned i;

	if (!s || !ops || !cfg || !smp_ops_valid(ops) || cfg->ncpus == 0 ||
	    cfg->ncpus > SMP_MAX_CPUS || cfg->tlb_full_threshold > SMP_TLB_MAX_PAGES)
		return VMK_EINVAL;
	s->ops = *ops;
	s->ncpus = cfg->ncpus;
	s->tlb_full_threshold = cfg->tlb_full_threshold;
	smp_spin_init(&s->call_lock);
	s->seq = 0;
	smp_cpuset_zero(&s->online);
	for (i = 0; i < SMP_MAX_CPUS; i++) {
		struct smp_cpu *c = &s->cpu[i];

		c->mb.word = smp_mb_word(0, SMP_MB_IDLE);
		c->mb.fn = NULL;
		c->mb.arg = NULL;
		c->mb.owe_flush = 0;
		c->in_handler = 0;
		c->in_call = 0;
		c->stats = zero;
	}
	return VMK_OK;
}

static bool smp_is_online(struct smp *s, unsigned cpu)
{
	return __atomic_load_n(&s->online.w[cpu / 64], __ATOMIC_RELAXED) & smp_cpuset_bit(cpu);
}

void smp_online(struct smp *s, struct smp_cpuset *out)
{
	unsigned i;

	for (i = 0; i < SMP_CPUSET_WORDS; i++)
		out->w[i] = __atomic_load_n(&s->online.w[i], __ATOMIC_RELAXED);
}

/* Take the call lock, answering calls posted to this CPU meanwhile: the
 * holder may be waiting for us, and we may have interrupts off. */
static void smp_lock_answering(struct smp *s)
{
	uint32_t t = smp_ticket_take(&s->call_lock);

	while (!smp_ticket_served(&s->call_lock, t)) {
		smp_handle_ipi(s);
		s->ops.pause(s->ops.ctx);
	}
}

/* The calling CPU's state if it may start a call; NULL with *err set if
 * not (EINVAL: unknown CPU, EPERM: inside a call or a handler). */
static struct smp_cpu *smp_enter(struct smp *s, int *err)
{
	unsigned me = s->ops.this_cpu(s->ops.ctx);
	struct smp_cpu *c;

	*err = VMK_EINVAL;
	if (me >= s->ncpus)
		return NULL;
	c = &s->cpu[me];
	*err = VMK_EPERM;
	if (smp_flag(&c->in_handler) || smp_flag(&c->in_call))
		return NULL;
	smp_flag_set(&c->in_call, true);
	*err = VMK_OK;
	return c;
}

int smp_cpu_set_online(struct smp *s, unsigned cpu, bool online)
{
	struct smp_cpu *c;
	uint64_t *w, bits;
	int err;

	if (!s || cpu >= s->ncpus)
		return VMK_EINVAL;
	c = smp_enter(s, &err);
	if (!c && err == VMK_EPERM)
		return err;
	smp_lock_answering(s);
	w = &s->online.w[cpu / 64];
	bits = __atomic_load_n(w, __ATOMIC_RELAXED);
	bits = online ? bits | smp_cpuset_bit(cpu) : bits & ~smp_cpuset_bit(cpu);
	__atomic_store_n(w, bits, __ATOMIC_RELAXED);
	smp_spin_unlock(&s->call_lock);
	if (c)
		smp_flag_set(&c->in_call, false);
	return VMK_OK;
}

/* ENOENT if a CPU of @set is not online; @missing gets those CPUs. */
static int smp_check_online(struct smp *s, const struct smp_call_req *rq)
{
	struct smp_cpuset bad;
	unsigned cpu;

	smp_cpuset_zero(&bad);
	smp_cpuset_for_each(cpu, rq->set)
		if (cpu >= s->ncpus || !smp_is_online(s, cpu))
			smp_cpuset_add(&bad, cpu);
	if (smp_cpuset_empty(&bad))
		return VMK_OK;
	if (rq->missing)
		*rq->missing = bad;
	return VMK_ENOENT;
}

/* Run the call posted to @me, if it is still there. */
static int smp_take_call(struct smp *s, unsigned me)
{
	struct smp_mailbox *mb = &s->cpu[me].mb;
	uint64_t w = __atomic_load_n(&mb->word, __ATOMIC_ACQUIRE);
	uint64_t seq = w & ~SMP_MB_STATE;

	if ((w & SMP_MB_STATE) != SMP_MB_POSTED)
		return 0;
	/* Failure means the initiator withdrew it; acquire so that we see the
	 * flush it then left us. */
	if (!__atomic_compare_exchange_n(&mb->word, &w, seq | SMP_MB_RUNNING, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
		return 0;
	mb->fn(s, me, mb->arg);
	smp_count(&s->cpu[me].stats.handled, 1);
	__atomic_store_n(&mb->word, seq | SMP_MB_IDLE, __ATOMIC_RELEASE);
	return 1;
}

/* A shootdown gave up on us: our TLB may hold anything it was to remove. */
static void smp_pay_flush(struct smp *s, unsigned me)
{
	uint32_t *owe = &s->cpu[me].mb.owe_flush;

	if (__atomic_load_n(owe, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(owe, 0, __ATOMIC_ACQUIRE)) {
		s->ops.flush_all(s->ops.ctx);
		smp_count(&s->cpu[me].stats.tlb_full, 1);
	}
}

int smp_handle_ipi(struct smp *s)
{
	unsigned me = s->ops.this_cpu(s->ops.ctx);
	struct smp_cpu *c;
	int n = 0;

	if (me >= s->ncpus)
		return 0;
	c = &s->cpu[me];
	do {
		/* Nested in a handler on this CPU: that one re-checks the
		 * mailbox once it is done. */
		if (smp_flag(&c->in_handler))
			return n;
		smp_flag_set(&c->in_handler, true);
		n += smp_take_call(s, me);
		smp_pay_flush(s, me);
		smp_flag_set(&c->in_handler, false);
	} while ((__atomic_load_n(&c->mb.word, __ATOMIC_RELAXED) & SMP_MB_STATE) == SMP_MB_POSTED);
	return n;
}

static void smp_run_local(struct smp *s, unsigned me, const struct smp_call_req *rq)
{
	struct smp_cpu *c = &s->cpu[me];

	smp_flag_set(&c->in_handler, true);
	rq->fn(s, me, rq->arg);
	smp_flag_set(&c->in_handler, false);
}

/* Drop from @pending the CPUs that have acknowledged call @seq. */
static void smp_reap(struct smp *s, struct smp_cpuset *pending, uint64_t seq)
{
	unsigned cpu;

	smp_cpuset_for_each(cpu, pending)
		if (__atomic_load_n(&s->cpu[cpu].mb.word, __ATOMIC_ACQUIRE) ==
		    smp_mb_word(seq, SMP_MB_IDLE))
			smp_cpuset_del(pending, cpu);
}

/* Withdraw call @seq from the CPUs of @pending that have not claimed it;
 * wait for those that have (they are running fn, which is short). */
static int smp_revoke(struct smp *s, struct smp_cpu *me, struct smp_cpuset *pending,
		      uint64_t seq, const struct smp_call_req *rq)
{
	unsigned cpu, n = 0;

	smp_cpuset_for_each(cpu, pending) {
		struct smp_mailbox *mb = &s->cpu[cpu].mb;
		uint64_t w = smp_mb_word(seq, SMP_MB_POSTED);
		uint32_t owed = 0;

		/* Before the withdrawal, which publishes it (release).  @owed: a
		 * flush still owed from an earlier shootdown. */
		if (rq->tlb)
			owed = __atomic_exchange_n(&mb->owe_flush, 1, __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(&mb->word, &w, smp_mb_word(seq, SMP_MB_IDLE),
						false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			if (rq->missing)
				smp_cpuset_add(rq->missing, cpu);
			n++;
			continue;
		}
		/* Claimed: it does this flush itself, but an older debt stays. */
		if (rq->tlb && !owed)
			__atomic_store_n(&mb->owe_flush, 0, __ATOMIC_RELAXED);
		while (__atomic_load_n(&mb->word, __ATOMIC_ACQUIRE) != smp_mb_word(seq, SMP_MB_IDLE))
			s->ops.pause(s->ops.ctx);
	}
	if (!n)
		return VMK_OK;
	smp_count(&me->stats.timeouts, 1);
	return VMK_ETIMEDOUT;
}

static int smp_wait(struct smp *s, struct smp_cpu *me, struct smp_cpuset *pending,
		    uint64_t seq, const struct smp_call_req *rq)
{
	bool bounded = rq->timeout != SMP_WAIT_FOREVER;
	uint64_t start = bounded ? s->ops.now(s->ops.ctx) : 0;

	for (;;) {
		smp_reap(s, pending, seq);
		if (smp_cpuset_empty(pending))
			return VMK_OK;
		if (bounded && s->ops.now(s->ops.ctx) - start >= rq->timeout)
			break;
		s->ops.pause(s->ops.ctx);
	}
	return smp_revoke(s, me, pending, seq, rq);
}

/* Under the call lock: post, send, run our part, wait. */
static int smp_call_remote(struct smp *s, unsigned me, struct smp_cpuset *remote,
			   const struct smp_call_req *rq)
{
	uint64_t seq = ++s->seq;
	unsigned cpu;

	smp_cpuset_for_each(cpu, remote) {
		struct smp_mailbox *mb = &s->cpu[cpu].mb;

		mb->fn = rq->fn;
		mb->arg = rq->arg;
		__atomic_store_n(&mb->word, smp_mb_word(seq, SMP_MB_POSTED), __ATOMIC_RELEASE);
	}
	s->ops.send_ipi(s->ops.ctx, remote);
	smp_count(&s->cpu[me].stats.ipis, smp_cpuset_count(remote));
	if (smp_cpuset_has(rq->set, me))
		smp_run_local(s, me, rq);
	return smp_wait(s, &s->cpu[me], remote, seq, rq);
}

static void smp_count_call(struct smp_cpu *me, const struct smp_call_req *rq)
{
	smp_count(&me->stats.calls, 1);
	if (rq->tlb)
		smp_count(&me->stats.tlb_requests, 1);
}

static int smp_call_dispatch(struct smp *s, unsigned me, const struct smp_call_req *rq)
{
	struct smp_cpuset remote = *rq->set;
	int err;

	smp_cpuset_del(&remote, me);
	if (smp_cpuset_empty(&remote)) {
		err = smp_check_online(s, rq);
		if (!err && smp_cpuset_has(rq->set, me)) {
			smp_count_call(&s->cpu[me], rq);
			smp_run_local(s, me, rq);
		}
		return err;
	}
	smp_lock_answering(s);
	/* Under the lock: the online set cannot change until we are done. */
	err = smp_check_online(s, rq);
	if (!err) {
		smp_count_call(&s->cpu[me], rq);
		err = smp_call_remote(s, me, &remote, rq);
	}
	smp_spin_unlock(&s->call_lock);
	return err;
}

static int smp_call_run(struct smp *s, const struct smp_call_req *rq)
{
	struct smp_cpu *c;
	int err;

	if (rq->missing)
		smp_cpuset_zero(rq->missing);
	if (!s || !rq->set || !rq->fn)
		return VMK_EINVAL;
	c = smp_enter(s, &err);
	if (!c)
		return err;
	err = smp_call_dispatch(s, (unsigned)(c - s->cpu), rq);
	smp_flag_set(&c->in_call, false);
	return err;
}

int smp_call(struct smp *s, const struct smp_cpuset *set, smp_call_fn fn, void *arg,
	     uint64_t timeout, struct smp_cpuset *missing)
{
	struct smp_call_req rq = { set, fn, arg, timeout, missing, false };

	return smp_call_run(s, &rq);
}

int smp_call_shootdown(struct smp *s, const struct smp_cpuset *set, smp_call_fn fn,
		       void *arg, uint64_t timeout, struct smp_cpuset *missing)
{
	struct smp_call_req rq = { set, fn, arg, timeout, missing, true };

	return smp_call_run(s, &rq);
}

void smp_cpu_stats(const struct smp *s, unsigned cpu, struct smp_stats *out)
{
	static const struct smp_stats zero;
	const struct smp_stats *st;

	*out = zero;
	if (!s || cpu >= s->ncpus)
		return;
	st = &s->cpu[cpu].stats;
	out->calls = __atomic_load_n(&st->calls, __ATOMIC_RELAXED);
	out->ipis = __atomic_load_n(&st->ipis, __ATOMIC_RELAXED);
	out->timeouts = __atomic_load_n(&st->timeouts, __ATOMIC_RELAXED);
	out->handled = __atomic_load_n(&st->handled, __ATOMIC_RELAXED);
	out->tlb_requests = __atomic_load_n(&st->tlb_requests, __ATOMIC_RELAXED);
	out->tlb_pages = __atomic_load_n(&st->tlb_pages, __ATOMIC_RELAXED);
	out->tlb_full = __atomic_load_n(&st->tlb_full, __ATOMIC_RELAXED);
}
