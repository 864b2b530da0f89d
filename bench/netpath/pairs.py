#!/usr/bin/env python3
"""Issue 7's Mpps decision from `bench/netpath/run --pairs`: merges the raw
runs into one JSON with every round's figures, decides each row with
bench/common/pair_decide.py and prints the summary.  Reports only what was
measured: a run whose output is missing or corrupt makes its pair failed
(counted, left out of the decision), never a figure.

    pairs.py --out RAWDIR --json FILE --rows "64:32 ..." --pairs N --runtime S
    pairs.py --check FILE     re-derive every ratio, median, interval and
                              verdict of FILE from its rounds; exit 1 if any
                              disagrees or is malformed"""
import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import pair_decide as pd  # noqa: E402

RATIO_MIN = 1.0            # netpath Mpps >= rte_ring's
TARGET_BATCH = 32
SIZES = (64, 1500)
BATCHES = (1, 8, 32)
SIDES = ("netpath", "rte_ring")
BENCH = {"netpath": "netpath_zc_poll", "rte_ring": "dpdk_rte_ring_spsc"}
# descriptor / word TX ring, each with the asymmetric or the fenced wake ordering
NETPATH_VARIANTS = ("netpath_zc_poll", "netpath_zcw_poll",
                    "netpath_zc_poll_fenced", "netpath_zcw_poll_fenced")
NETPATH_COUNTERS = ("copies_per_pkt", "doorbells_per_pkt", "drops")


def number(x, what, positive=False):
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) \
            or x < 0 or (positive and x == 0):
        raise ValueError("%s is not a %s number: %r" % (
            what, "finite positive" if positive else "finite non-negative", x))
    return float(x)


def parse_run(doc, side, size, batch):
    """One netpath_bench JSON output -> the run's figures; ValueError if it
    is not exactly one good run of the expected benchmark."""
    want = "%s/%d/%d/real_time" % (BENCH[side], size, batch)
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise ValueError("no benchmarks list")
    runs = [b for b in doc["benchmarks"]
            if isinstance(b, dict) and b.get("run_type", "iteration") == "iteration"]
    if len(runs) != 1 or runs[0].get("name") != want:
        raise ValueError("expected one run of %s, got %s" % (
            want, [b.get("name") for b in runs]))
    b = runs[0]
    if b.get("error_occurred"):
        raise ValueError("skipped: %s" % b.get("error_message", "failed"))
    res = {"Mpps": number(b.get("Mpps"), "Mpps", positive=True),
           "iterations": int(number(b.get("iterations"), "iterations", positive=True)),
           "real_time_ns": number(b.get("real_time"), "real_time")}
    if side == "netpath":
        for k in NETPATH_COUNTERS:
            res[k] = number(b.get(k), k)
    return res


def load_run(out, side, size, batch, rnd):
    path = os.path.join(out, "%s_%d_%d_%d.json" % (side, size, batch, rnd))
    try:
        with open(path) as f:
            return parse_run(json.load(f), side, size, batch)
    except (OSError, ValueError) as e:
        return {"error": "%s: %s" % (os.path.basename(path), e)}


def schedule(out):
    """(size, batch, round) -> {side: (seq, start, load1)} from schedule.txt."""
    res = {}
    path = os.path.join(out, "schedule.txt")
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                seq, rnd, size, batch, side, start, load1 = line.split()
                if side not in SIDES:
                    raise ValueError(side)
                res.setdefault((int(size), int(batch), int(rnd)), {})[side] = (
                    int(seq), float(start), float(load1))
            except ValueError:
                raise SystemExit("pairs.py: %s line %d is malformed: %r" % (path, n, line))
    return res


def pair_ratio(p):
    a, b = p["netpath"], p["rte_ring"]
    return None if "error" in a or "error" in b else a["Mpps"] / b["Mpps"]


def conditions(row):
    """The target's conditions that the netpath runs of a row failed."""
    runs = [p["netpath"] for p in row["pairs"] if "error" not in p["netpath"]]
    failed = []
    if any(r["copies_per_pkt"] > 0 for r in runs):
        failed.append("payload copies")
    if any(r["doorbells_per_pkt"] * row["batch"] > 1 + 1e-9 for r in runs):
        failed.append("more than one doorbell per batch")
    if any(r["drops"] > 0 for r in runs):
        failed.append("frames dropped")
    return failed


def side_summary(runs):
    good = [r for r in runs if "error" not in r]
    res = {"runs": len(runs), "failed": len(runs) - len(good),
           "errors": [r["error"] for r in runs if "error" in r]}
    if good:
        res["Mpps_median"] = statistics.median(r["Mpps"] for r in good)
        for k in NETPATH_COUNTERS:
            if k in good[0]:
                res[k + "_max"] = max(r[k] for r in good)
    return res


def decide_row(row):
    """The row's decision from its pairs (also what --check re-derives)."""
    ratios = [p["ratio"] for p in row["pairs"] if p["ratio"] is not None]
    d = pd.combine({"mpps": pd.criterion(ratios, RATIO_MIN, ">=")}, conditions(row),
                   "the interval is wholly >= %g; 0 copies, <= 1 doorbell per batch"
                   % RATIO_MIN)
    d["pairs_used"] = len(ratios)
    d["pairs_failed"] = len(row["pairs"]) - len(ratios)
    return d


def decide_overall(rows):
    """Issue 7: every batch-32 row, both sizes."""
    want = [(s, TARGET_BATCH) for s in SIZES]
    got = {(r["size"], r["batch"]): r["decision"]["verdict"] for r in rows}
    return pd.overall([got[k] for k in want if k in got],
                      sum(1 for k in want if k not in got))


def build_row(size, batch, pairs):
    row = {"size": size, "batch": batch, "pairs": pairs}
    for s in SIDES:
        row[s] = side_summary([p[s] for p in pairs])
    used = [p["ratio"] for p in pairs if p["ratio"] is not None]
    row["ratio_median"] = statistics.median(used) if used else None
    row["decision"] = decide_row(row)
    return row


def collect(out, rows, npairs):
    sched = schedule(out)
    res = []
    for size, batch in rows:
        pairs = []
        for rnd in range(1, npairs + 1):
            s = sched.get((size, batch, rnd))
            if s is None or set(s) != set(SIDES):
                raise SystemExit("pairs.py: schedule.txt lacks %d/%d round %d" % (size, batch, rnd))
            order = sorted(s, key=lambda k: s[k][0])
            p = {"round": rnd, "order": order, "start": s[order[0]][1],
                 "load1": s[order[0]][2]}
            p.update({side: load_run(out, side, size, batch, rnd) for side in SIDES})
            p["ratio"] = pair_ratio(p)
            pairs.append(p)
        res.append(build_row(size, batch, pairs))
    return res


def check(doc):
    """Problems found re-deriving doc's figures and verdicts from its rounds."""
    bad = []
    try:
        rows = doc["results"]
        for row in rows:
            where = "%s/%s" % (row["size"], row["batch"])
            for p in row["pairs"]:
                for s in SIDES:
                    if "error" not in p[s]:
                        parse_run({"benchmarks": [dict(
                            p[s], name="%s/%d/%d/real_time" % (BENCH[s], row["size"], row["batch"]),
                            real_time=p[s]["real_time_ns"])]}, s, row["size"], row["batch"])
                if p["ratio"] != pair_ratio(p):
                    bad.append("%s round %s: ratio %r is not netpath / rte_ring" % (
                        where, p["round"], p["ratio"]))
            if len({p["round"] for p in row["pairs"]}) != len(row["pairs"]):
                bad.append("%s: a round twice" % where)
            for s in SIDES:
                if row[s] != side_summary([p[s] for p in row["pairs"]]):
                    bad.append("%s: %s summary disagrees with its runs" % (where, s))
            used = [p["ratio"] for p in row["pairs"] if p["ratio"] is not None]
            if row["ratio_median"] != (statistics.median(used) if used else None):
                bad.append("%s: ratio_median is not the median of the ratios" % where)
            if row["decision"] != decide_row(row):
                bad.append("%s: decision disagrees with its pairs" % where)
        if doc["overall"] != decide_overall(rows):
            bad.append("overall verdict disagrees with the rows")
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        bad.append("malformed: %s: %s" % (type(e).__name__, e))
    return bad


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


def show(doc):
    ctx = doc["context"]
    print("%s vs rte_ring SP/SC: %d pairs per row, %gs per run; x = median of "
          "the per-pair ratios netpath / rte_ring Mpps, 95%% distribution-free interval"
          % (ctx.get("netpath_variant", "netpath_zc_poll"), ctx["pairs"], ctx["runtime_s"]))
    print("%5s %5s | %8s %8s | %-22s | %6s %9s | %s" % (
        "size", "batch", "np Mpps", "rte Mpps", "x [95% CI]", "copies", "bells/bat",
        "verdict"))
    for row in doc["results"]:
        n, r, d = row["netpath"], row["rte_ring"], row["decision"]
        c = d["mpps"]
        ci = "%5s [%5s, %5s]" % (fmt(c["median"], ".3f"), fmt(c["ci_low"], ".3f"),
                                 fmt(c["ci_high"], ".3f"))
        v = d["verdict"]
        if v == pd.INCONCLUSIVE:
            v += (" (+%d pairs)" % d["more_pairs"] if d["more_pairs"] is not None
                  else " (needs > %d pairs)" % pd.MAX_PAIRS)
        print("%5d %5d | %8s %8s | %-22s | %6s %9s | %s%s" % (
            row["size"], row["batch"], fmt(n.get("Mpps_median"), ".2f"),
            fmt(r.get("Mpps_median"), ".2f"), ci, fmt(n.get("copies_per_pkt_max"), ".0f"),
            fmt(n.get("doorbells_per_pkt_max", 0) * row["batch"]
                if "doorbells_per_pkt_max" in n else None, ".4f"), v,
            ", %d pairs failed" % d["pairs_failed"] if d["pairs_failed"] else ""))
    for row in doc["results"]:
        if row["decision"]["verdict"] != pd.MET:
            print("%d/%d: %s" % (row["size"], row["batch"], row["decision"]["why"]))
    o = doc["overall"]
    print("issue 7 target (batch 32, 64 and 1500 B): %s (%d met, %d missed, %d inconclusive%s)"
          % (o["verdict"], o["met"], o["missed"], o["inconclusive"],
             ", %d of 2 rows not run" % o["rows_not_run"] if o["rows_not_run"] else ""))
    if ctx.get("smoke"):
        print("SMOKE run: these figures are no result")


def parse_rows(text):
    rows = []
    for item in text.split():
        size, _, batch = item.partition(":")
        if not (size.isdigit() and batch.isdigit()) or \
                int(size) not in SIZES or int(batch) not in BATCHES:
            raise SystemExit("pairs.py: unknown row %r" % item)
        rows.append((int(size), int(batch)))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", metavar="FILE")
    ap.add_argument("--variants", action="store_true",
                    help="print the netpath benchmarks --netpath accepts, one a line")
    ap.add_argument("--out")
    ap.add_argument("--json")
    ap.add_argument("--rows")
    ap.add_argument("--pairs", type=int)
    ap.add_argument("--runtime", type=float)
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--netpath", default="netpath_zc_poll", choices=NETPATH_VARIANTS,
                    help="the netpath benchmark the raw runs are of")
    a = ap.parse_args(argv)
    if a.variants:
        print("\n".join(NETPATH_VARIANTS))
        return 0
    if a.check:
        try:
            with open(a.check) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print("pairs.py --check: %s: %s" % (a.check, e), file=sys.stderr)
            return 1
        bad = check(doc)
        for b in bad:
            print("pairs.py --check: %s" % b, file=sys.stderr)
        return 1 if bad else 0
    if None in (a.out, a.json, a.rows, a.pairs, a.runtime):
        ap.error("--out, --json, --rows, --pairs and --runtime are required")
    BENCH["netpath"] = a.netpath
    rows = collect(a.out, parse_rows(a.rows), a.pairs)
    doc = {
        "context": {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(),
            "commit": a.commit, "pairs": a.pairs, "runtime_s": a.runtime,
            "netpath_variant": a.netpath,
            "smoke": os.environ.get("SMOKE") == "1",
            "cpus_used": "producer on CPU 0, consumer on CPU 1",
        },
        "target": {"batch": TARGET_BATCH, "mpps_ratio_min": RATIO_MIN, "payload_copies": 0,
                   "doorbells_per_batch_max": 1, "ci_level": pd.LEVEL,
                   "ci": "order statistics of the per-pair ratios (distribution-free)"},
        "results": rows,
    }
    doc["overall"] = decide_overall(rows)
    with open(a.json, "w") as f:
        json.dump(doc, f, indent=1)
    show(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
