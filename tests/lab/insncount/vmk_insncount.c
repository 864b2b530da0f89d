/* vmk_insncount: a QEMU TCG plugin that counts the instructions each vCPU
 * executes between two marker instructions, exactly and without -icount.
 *
 * The lab needs exact path lengths on more than one CPU (a switch between
 * two VMs on a CPU the vmkernel owns), and QEMU 7.2's SMP bring-up stalls
 * under -icount.  With this plugin the guest brackets the code to measure:
 *
 *   66 87 db   xchg %bx,%bx   VMK_INSN_MARK_BEGIN
 *   66 87 c9   xchg %cx,%cx   VMK_INSN_MARK_END
 *
 * (both do nothing), and every BEGIN..END pair executed by one vCPU becomes
 * a line in the output file:
 *
 *   interval vcpu=V seq=K insns=N all=M per=N0,N1,...
 *
 * N counts every instruction the vCPU executed from the BEGIN marker up to
 * but not including the END marker, whatever ran there: the guest, the
 * vmkernel (the host of the nested guest), other VMs, interrupt handlers.
 * An instruction that faults is counted once per attempt, as it executes.
 * M counts what every vCPU executed over the same interval (the other CPUs'
 * share of a cross-CPU round trip, and whatever else they ran meanwhile),
 * and per= splits it by vCPU (0 up to the highest vCPU seen so far).
 *
 * How: an inline add of 1 before every instruction bumps one counter, and a
 * callback at the start of every translated block charges what the counter
 * gained to the vCPU that ran before it, so the counts are per vCPU.  That
 * needs one TCG thread (-accel tcg,thread=single), which scripts/lab forces
 * when it loads the plugin; with one thread per vCPU the shared counter
 * would race.
 *
 * Arguments: out=FILE (required); profile=FILE (optional): also a profile
 * of the instructions executed inside intervals, by the virtual address of
 * the translated block they belong to ("tb 0xADDR insns N", most first; a
 * block left early by an exception is charged whole, so the profile, unlike
 * the intervals, is approximate).  Build: see CMakeLists.txt. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

VMK_PLUGIN_EXPORT int qemu_plugin_version = VMK_QEMU_PLUGIN_API;

#define MAX_VCPUS 64u

static const unsigned char mark_begin[3] = { 0x66, 0x87, 0xdb };
static const unsigned char mark_end[3] = { 0x66, 0x87, 0xc9 };

static uint64_t total;            /* instructions, all vCPUs (inline adds) */
static uint64_t charged;          /* value of total last charged to a vCPU */
static unsigned int last_vcpu;    /* the vCPU running since then */
static uint64_t done[MAX_VCPUS];  /* instructions charged to each vCPU */
static uint64_t begin_at[MAX_VCPUS];
static uint64_t begin_all[MAX_VCPUS];   /* total at BEGIN */
static uint64_t begin_done[MAX_VCPUS][MAX_VCPUS];   /* every vCPU's count at BEGIN */
static unsigned int nvcpus_seen;
static int open_interval[MAX_VCPUS];
static uint64_t seq[MAX_VCPUS];
static FILE *out;
static const char *profile_path;

/* The profile: blocks by start address, open addressing.  Blocks are
 * retranslated, so an address maps to one entry however often it is seen. */
#define PROF_SLOTS (1u << 20)
struct prof { uint64_t vaddr, n_insns, insns; };
static struct prof *prof;
static uint64_t prof_full;

static struct prof *prof_slot(uint64_t vaddr)
{
	uint64_t h = (vaddr * 0x9e3779b97f4a7c15ull) >> 44;

	for (uint32_t i = 0; i < 64; i++) {
		struct prof *e = &prof[(h + i) & (PROF_SLOTS - 1)];

		if (e->vaddr == vaddr && e->n_insns)
			return e;
		if (!e->n_insns) {
			e->vaddr = vaddr;
			return e;
		}
	}
	prof_full++;
	return NULL;
}

static void tb_profile(unsigned int vcpu, void *udata)
{
	struct prof *e = udata;

	if (vcpu < MAX_VCPUS && open_interval[vcpu])
		e->insns += e->n_insns;
}

static int prof_cmp(const void *a, const void *b)
{
	const struct prof *x = a, *y = b;

	return x->insns < y->insns ? 1 : x->insns > y->insns ? -1 : 0;
}

static void prof_write(void)
{
	FILE *f = fopen(profile_path, "w");
	uint32_t k = 0;

	if (!f) {
		fprintf(stderr, "vmk_insncount: %s: %s\n", profile_path, strerror(errno));
		return;
	}
	for (uint32_t i = 0; i < PROF_SLOTS; i++)
		if (prof[i].insns)
			prof[k++] = prof[i];
	qsort(prof, k, sizeof(*prof), prof_cmp);
	for (uint32_t i = 0; i < k; i++)
		fprintf(f, "tb 0x%llx insns %llu\n", (unsigned long long)prof[i].vaddr,
			(unsigned long long)prof[i].insns);
	if (prof_full)
		fprintf(f, "# %llu blocks not profiled: table full\n",
			(unsigned long long)prof_full);
	fclose(f);
}

static void charge(unsigned int vcpu)
{
	if (vcpu + 1 > nvcpus_seen)
		nvcpus_seen = vcpu + 1;
	done[last_vcpu] += total - charged;
	charged = total;
	last_vcpu = vcpu;
}

static uint64_t count_of(unsigned int vcpu)
{
	charge(vcpu);
	return done[vcpu];
}

static void tb_start(unsigned int vcpu, void *udata)
{
	(void)udata;
	if (vcpu < MAX_VCPUS && vcpu != last_vcpu)
		charge(vcpu);
}

static void on_begin(unsigned int vcpu, void *udata)
{
	(void)udata;
	if (vcpu >= MAX_VCPUS)
		return;
	begin_at[vcpu] = count_of(vcpu);
	begin_all[vcpu] = total;
	memcpy(begin_done[vcpu], done, sizeof(done));
	open_interval[vcpu] = 1;
}

static void on_end(unsigned int vcpu, void *udata)
{
	uint64_t now;

	(void)udata;
	if (vcpu >= MAX_VCPUS || !open_interval[vcpu])
		return;
	now = count_of(vcpu);
	open_interval[vcpu] = 0;
	/* The inline add of this END marker has run already: leave it out. */
	fprintf(out, "interval vcpu=%u seq=%llu insns=%llu all=%llu per=", vcpu,
		(unsigned long long)seq[vcpu]++, (unsigned long long)(now - 1 - begin_at[vcpu]),
		(unsigned long long)(total - 1 - begin_all[vcpu]));
	for (unsigned int i = 0; i < nvcpus_seen; i++)
		fprintf(out, "%s%llu", i ? "," : "", (unsigned long long)(done[i] - begin_done[vcpu][i] -
									 (i == vcpu)));
	fputc('\n', out);
	fflush(out);
}

static int is_mark(const struct qemu_plugin_insn *insn, const unsigned char *m)
{
	return qemu_plugin_insn_size(insn) == 3 && !memcmp(qemu_plugin_insn_data(insn), m, 3);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_start, QEMU_PLUGIN_CB_NO_REGS, NULL);
	if (prof) {
		struct prof *e = prof_slot(qemu_plugin_tb_vaddr(tb));

		if (e) {
			e->n_insns = n;
			qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_profile,
							     QEMU_PLUGIN_CB_NO_REGS, e);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
							   &total, 1);
		if (is_mark(insn, mark_begin))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin,
							       QEMU_PLUGIN_CB_NO_REGS, NULL);
		else if (is_mark(insn, mark_end))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end,
							       QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id, (void)udata;
	charge(last_vcpu);
	for (unsigned int v = 0; v < MAX_VCPUS; v++)
		if (done[v])
			fprintf(out, "vcpu %u insns=%llu\n", v, (unsigned long long)done[v]);
	fclose(out);
	if (prof)
		prof_write();
}

VMK_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					  int argc, char **argv)
{
	const char *path = NULL;

	(void)info;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			path = argv[i] + 4;
		} else if (!strncmp(argv[i], "profile=", 8) && argv[i][8]) {
			profile_path = argv[i] + 8;
		} else {
			fprintf(stderr, "vmk_insncount: unknown argument '%s' "
				"(want out=FILE [profile=FILE])\n",
				argv[i]);
			return -1;
		}
	}
	if (!path || !*path) {
		fprintf(stderr, "vmk_insncount: out=FILE is required\n");
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "vmk_insncount: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (profile_path && !(prof = calloc(PROF_SLOTS, sizeof(*prof)))) {
		fprintf(stderr, "vmk_insncount: no memory for the profile\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
