/* The scheduler's policy: which world runs on which CPU, for how long.
 *
 * A pure state machine.  The caller (the vmkernel's per-CPU timer and world
 * switch, or a hosted test) drives it and passes the time in; the policy never
 * reads a clock, sends an IPI or touches a world's state.  Plain C: compiled
 * freestanding into the vmkernel and hosted for tests and the simulator.
 *
 * Units.  Time is in nanoseconds since any fixed origin (the caller converts
 * its TSC); it must not go backwards on one CPU.  CPU rates (reservation,
 * limit, entitlement) are in parts per million of one physical CPU:
 * SCHED_CPU_PPM is one whole CPU.  A world is one virtual CPU, so it can never
 * use more than one CPU.
 *
 * Concurrency.  One struct sched is one piece of state: the caller serialises
 * every call on it (in the vmkernel, one scheduler lock).  Nothing here blocks.
 *
 * Errors are the negative codes of <vmk/err.h>; a call that fails changes
 * nothing.  See README.md for the algorithm. */
#ifndef VMK_SCHED_H
#define VMK_SCHED_H
#include <stdbool.h>
#include <vmk/types.h>
#include <vmk/err.h>

#define SCHED_MAX_CPUS 64      /* affinity is one 64-bit mask */
#define SCHED_MAX_WORLDS 128
#define SCHED_CPU_PPM 1000000u /* one physical CPU */
#define SCHED_MAX_SHARES 1000000u
#define SCHED_NONE (-1)        /* no world (idle) / no CPU to kick */
#define SCHED_AFFINITY_ALL (~(uint64_t)0)

/* Co-scheduling of sibling worlds (the vCPUs of one VM, grouped with
 * sched_set_group()).  NONE: each world is scheduled alone, exactly as if
 * no group were set (skew is still measured, for comparison).  RELAXED:
 * ESX-style relaxed co-scheduling: a world running too far ahead of its
 * slowest runnable sibling is co-stopped (README.md, "Co-scheduling"). */
enum sched_cosched { SCHED_COSCHED_NONE = 0, SCHED_COSCHED_RELAXED = 1 };

/* Tunables; sched_config_default() gives sane values. */
struct sched_config {
	uint32_t ncpus;          /* CPUs 0..ncpus-1 are scheduled */
	uint64_t slice_ns;       /* longest slice a world gets at once */
	uint64_t min_slice_ns;   /* a limited world waits until it has this much credit */
	uint64_t limit_period_ns;/* a limited world may bank limit * period of CPU time */
	uint64_t wake_gran_ns;   /* a woken world preempts if this far behind */
	uint64_t steal_lag_ns;   /* a CPU takes a ready world lagging this much more */
	uint32_t balance_min_ppm;/* ignore load moves smaller than this */
	uint32_t cosched;        /* enum sched_cosched; default NONE */
	uint64_t cosched_skew_ns;/* RELAXED: co-stop a world leading its slowest
				  * runnable sibling by more than this (1..2^40) */
};

/* What a world is entitled to, the ESX way. */
struct sched_params {
	uint32_t shares;         /* 1..SCHED_MAX_SHARES, relative weight */
	uint32_t reservation_ppm;/* guaranteed minimum, 0..limit */
	uint32_t limit_ppm;      /* hard maximum, 1..SCHED_CPU_PPM */
};

enum sched_state { SCHED_BLOCKED = 0, SCHED_READY = 1, SCHED_RUNNING = 2 };

/* One slot of the world table.  Private to sched.c: read it through
 * sched_world_info(). */
struct sched_world {
	int32_t id;              /* caller's world id, SCHED_NONE if the slot is free */
	uint8_t state;           /* enum sched_state */
	uint8_t refill_valid;    /* refill_t has been set by a wake-up */
	uint16_t cpu;            /* run queue the world belongs to */
	struct sched_params p;
	uint64_t affinity;
	uint32_t ent_ppm;        /* global entitlement (0 while blocked) */
	uint32_t rate_ppm;       /* rate on its CPU: the SFQ weight */
	uint64_t vtime;          /* SFQ virtual time on its CPU */
	int64_t credit_ns;       /* limit token bucket (limited worlds only) */
	uint64_t refill_t;       /* time the bucket was last topped up */
	uint64_t run_ns;         /* total CPU time charged */
	uint64_t entitled_ns;    /* integral of ent_ppm while runnable; minus run_ns
				  * is the lag, kept within +-10 limit periods */
	int32_t move_to;         /* CPU it migrates to once descheduled, or SCHED_NONE */
	uint32_t migrations;     /* times it changed CPU */
	uint8_t grp;             /* its group's slot in sched.g + 1; 0: no group */
	uint8_t costopped;       /* RELAXED: held back until its laggard catches up */
	uint8_t yielded;         /* sched_yield(): pass it over at the next pick */
	uint32_t costops;        /* times it was co-stopped */
	uint32_t yields;         /* yields that gave its CPU to another world */
	int64_t prog_off;        /* its progress is run_ns + prog_off (see sched.c) */
	uint64_t lead_max_ns;    /* largest lead over its slowest runnable sibling seen */
	uint64_t costop_ns;      /* time spent ready but co-stopped */
	uint64_t costop_t;       /* costop_ns is counted up to here */
};

/* A group of sibling worlds; private to sched.c. */
struct sched_group {
	int32_t id;              /* caller's group id, SCHED_NONE if the slot is free */
	uint32_t nmembers;
	uint32_t nrunnable;      /* runnable members at the last update */
	int64_t slow;            /* progress of the slowest runnable member then */
	int64_t fast;            /* progress of the most advanced runnable member then */
};

/* One CPU's run queue; private to sched.c. */
struct sched_cpu {
	int32_t cur;             /* slot of the running world, SCHED_NONE if idle */
	uint8_t need_resched;
	uint64_t last;           /* time this CPU was last charged (monotonic) */
	uint64_t slice_end;      /* the running world's slice ends here */
	uint64_t vnow;           /* SFQ system virtual time: start tag in service */
	uint32_t load_ppm;       /* sum of entitlements of its runnable worlds */
	uint32_t resv_ppm;       /* sum of reservations of all its worlds */
	uint32_t nworlds;
};

struct sched {
	struct sched_config cfg;
	struct sched_world w[SCHED_MAX_WORLDS];
	uint32_t nslots;         /* slots nslots.. are free: scans stop there */
	struct sched_cpu c[SCHED_MAX_CPUS];
	uint64_t lag_clock;      /* entitlements are integrated up to here */
	struct sched_group g[SCHED_MAX_WORLDS]; /* a group has a member: never full */
	uint32_t ngslots;        /* group slots ngslots.. are free */
};

/* sched_pick_next() result.  world == SCHED_NONE: idle; then slice_ns is how
 * long until a limited world on this CPU may run again (0: nothing to wait
 * for, sleep until kicked).  kick_cpu: an idle CPU that could run a world
 * still waiting here; send it a reschedule IPI (SCHED_NONE: none). */
struct sched_pick {
	int32_t world;
	int32_t kick_cpu;
	uint64_t slice_ns;
};

/* pending: the world is running on from_cpu, which has been asked to
 * reschedule (kick it); it moves when from_cpu next calls sched_pick_next(). */
struct sched_migration {
	int32_t world;
	uint32_t from_cpu, to_cpu;
	bool pending;
};

struct sched_world_info {
	struct sched_params p;
	uint64_t affinity;
	enum sched_state state;
	uint32_t cpu;
	uint32_t entitlement_ppm;/* current global entitlement */
	uint32_t rate_ppm;       /* current rate on its CPU */
	uint64_t run_ns;         /* total CPU time charged */
	int64_t lag_ns;          /* entitled minus received (bounded) */
	uint32_t migrations;     /* times it changed CPU */
	/* Co-scheduling (all 0 for a world with no group; skew and lead are
	 * measured in both modes, co-stops happen only in RELAXED). */
	int32_t group;           /* sched_set_group()'s group, SCHED_NONE: none */
	uint64_t skew_ns;        /* how far it is behind its most advanced runnable sibling */
	uint64_t lead_ns;        /* how far it is ahead of its slowest runnable sibling */
	uint64_t lead_max_ns;    /* the largest lead_ns seen since it joined the group */
	bool costopped;          /* held back now (RELAXED) */
	uint32_t costops;        /* times it was co-stopped */
	uint32_t yields;         /* yields that gave its CPU to another world */
	uint64_t costop_ns;      /* time it was ready but co-stopped */
};

void sched_config_default(struct sched_config *cfg, uint32_t ncpus);
int sched_init(struct sched *s, const struct sched_config *cfg);

/* A new world starts blocked; sched_wake() makes it runnable.  EINVAL: bad id,
 * params or affinity; EBUSY: id in use; ENOSPC: table full; ERANGE: its
 * reservation fits on none of its CPUs (admission control). */
int sched_add_world(struct sched *s, int32_t id, const struct sched_params *p,
		    uint64_t affinity);
/* EBUSY while it runs: block it (and pick another) first. */
int sched_remove_world(struct sched *s, int32_t id);
int sched_set_params(struct sched *s, int32_t id, const struct sched_params *p);
/* EBUSY if it runs on a CPU the new mask excludes. */
int sched_set_affinity(struct sched *s, int32_t id, uint64_t affinity);

/* Make a world runnable.  *kick_cpu: the CPU to send a reschedule IPI to, or
 * SCHED_NONE if none is needed (already runnable, or its CPU keeps running
 * what it runs and will see the world at its next tick). */
int sched_wake(struct sched *s, int32_t id, uint64_t now, int32_t *kick_cpu);
/* The world waits for an event (HLT, I/O).  If it was running, its CPU is
 * charged up to now and must call sched_pick_next(). */
int sched_block(struct sched *s, int32_t id, uint64_t now);

/* Timer tick on cpu: charges the running world.  1: call sched_pick_next();
 * 0: let it run on; <0: error. */
int sched_tick(struct sched *s, uint32_t cpu, uint64_t now);
/* Charge the running world, put it back and choose what runs next: the
 * local world with the least virtual time, or a world of another CPU that
 * lags far behind (or any, rather than idle) -- that world moves here. */
int sched_pick_next(struct sched *s, uint32_t cpu, uint64_t now, struct sched_pick *out);

/* Call periodically (e.g. every 100 ms).  Moves runnable worlds between CPUs
 * to even out entitlement per CPU; where no move can (three equal worlds on
 * two CPUs), swaps the world furthest behind its entitlement on a busier CPU
 * with the one furthest ahead on a lighter one, so the shortfall rotates.
 * Writes at most max moves to out (applied, or pending: see above) and their
 * count to *n. */
int sched_balance(struct sched *s, uint64_t now, struct sched_migration *out,
		  uint32_t max, uint32_t *n);

int sched_world_info(const struct sched *s, int32_t id, struct sched_world_info *out);

/* Declare world id a member of group (>= 0: e.g. the VM's id, for each of its
 * vCPUs), or of none (SCHED_NONE).  Siblings' skew is measured from then on,
 * and in RELAXED mode bounded by co-stopping.  The world joins level with the
 * group's slowest runnable member, so joining co-stops nobody; best called
 * after sched_add_world(), before the first sched_wake().  Time since the last
 * call that took a `now` is accrued under the new grouping (call it at set-up,
 * not in the middle of a run).  EINVAL: NULL, id < 0 or group < SCHED_NONE;
 * ENOENT: no such world. */
int sched_set_group(struct sched *s, int32_t id, int32_t group);

/* (Not sched_yield: that is POSIX's, in every hosted program.)
 * The running world id gives its CPU up (a PAUSE-loop exit: it spins on a
 * lock, likely held by a preempted sibling; or a guest's yield hypercall).
 * It stays runnable, loses no entitlement and keeps its virtual time; its CPU
 * must call sched_pick_next() (sched_tick() now returns 1), which passes it
 * over once: it runs a ready sibling of its group from another CPU if that
 * sibling would win here by virtual time (directed yield: the lock holder),
 * else what the CPU would run without it, and only if there is nothing else,
 * the yielder again.  No-op (0) if the world is not running (a yield races
 * with a block or a pick).  EINVAL: NULL, id < 0, time going backwards on its
 * CPU; ENOENT: no such world.  HLT is not a yield: block the world. */
int sched_yield_world(struct sched *s, int32_t id, uint64_t now);

/* One more CPU, numbered cfg.ncpus, while worlds are scheduled: it starts
 * idle, entitlements are computed again for the larger capacity, and worlds
 * whose affinity allows it reach it by stealing and balancing.  Returns its
 * number; ENOSPC at SCHED_MAX_CPUS, EINVAL if now goes backwards. */
int sched_add_cpu(struct sched *s, uint64_t now);
#endif
