"""Pair decision rule shared by the benchmarks that decide a target from
interleaved pairs of runs (bench/storpath, bench/netpath).  Stdlib only.

Input: per-pair ratios (ours / baseline), one per pair of back-to-back runs.
Estimate: the median of those ratios.  Interval: the distribution-free
confidence interval of the median from order statistics: for n ratios
sorted x(1) <= ... <= x(n), [x(k), x(n+1-k)] covers the population median
with probability 1 - 2 P(Bin(n, 1/2) <= k-1), whatever the distribution
(pairs independent, ratios continuous).  k is the largest that keeps that
coverage at or above LEVEL, so the interval is exact or conservative; with
fewer than 6 pairs no 95% interval exists.

A criterion is MET if the whole interval is on the good side of its
threshold, MISSED if the whole interval is on the wrong side, else
INCONCLUSIVE with a rough count of the pairs a run would need (the
interval's half-width toward the threshold shrinks as 1/sqrt(n); the spread
is assumed to stay as measured).  A row (combine) is MET if every criterion
is MET and no condition failed, MISSED if any criterion is MISSED or a
condition failed, else INCONCLUSIVE."""
import math
import statistics

LEVEL = 0.95
MAX_PAIRS = 400          # beyond this, more pairs are not a way to decide
MET, MISSED, INCONCLUSIVE = "MET", "MISSED", "INCONCLUSIVE"


def binom_half_cdf(k, n):
    """P(Bin(n, 1/2) <= k), exact up to the final division."""
    if k < 0:
        return 0.0
    return sum(math.comb(n, i) for i in range(min(k, n) + 1)) / 2 ** n


def check_ratios(xs):
    """The ratios as floats; ValueError names the first one that is not a
    finite positive number."""
    out = []
    for i, x in enumerate(xs):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise ValueError("ratio %d is not a number: %r" % (i, x))
        if not math.isfinite(x) or x <= 0:
            raise ValueError("ratio %d is not a finite positive number: %r" % (i, x))
        out.append(float(x))
    return out


def ci_rank(n, level=LEVEL):
    """Largest k with 1 - 2 P(Bin(n, 1/2) <= k-1) >= level, or 0 if none."""
    k = 0
    while binom_half_cdf(k, n) <= (1 - level) / 2:
        k += 1
    return k


def min_pairs(level=LEVEL):
    n = 1
    while ci_rank(n, level) == 0:
        n += 1
    return n


def median_ci(xs, level=LEVEL):
    """(low, high, coverage) of the median of xs, or None if len(xs) is too
    small for any interval at this level."""
    xs = sorted(check_ratios(xs))
    n = len(xs)
    k = ci_rank(n, level)
    if k == 0:
        return None
    return xs[k - 1], xs[n - k], 1 - 2 * binom_half_cdf(k - 1, n)


def pairs_needed(n, med, low, high, threshold):
    """Rough total pairs for the interval to clear threshold, or None when the
    median sits on it or more than MAX_PAIRS would be needed."""
    d = abs(med - threshold)
    h = med - low if med > threshold else high - med
    if d == 0:
        return None
    total = max(math.ceil(n * (h / d) ** 2), n + 1, min_pairs())
    return total if total <= MAX_PAIRS else None


def criterion(ratios, threshold, want):
    """One criterion: want '>=' (the ratio must reach threshold) or '<='."""
    if want not in (">=", "<="):
        raise ValueError("want must be '>=' or '<=', not %r" % (want,))
    xs = check_ratios(ratios)
    n = len(xs)
    res = {"n": n, "median": statistics.median(xs) if xs else None,
           "ci_low": None, "ci_high": None, "ci_level": LEVEL, "coverage": None,
           "threshold": threshold, "want": want, "more_pairs": None}
    ci = median_ci(xs)
    if ci is None:
        need = min_pairs()
        res.update(verdict=INCONCLUSIVE, more_pairs=need - n,
                   why="%d pairs: a %g%% interval of the median needs at least %d"
                   % (n, LEVEL * 100, need))
        return res
    low, high, cov = ci
    res.update(ci_low=low, ci_high=high, coverage=cov)
    good = low >= threshold if want == ">=" else high <= threshold
    bad = high < threshold if want == ">=" else low > threshold
    if good or bad:
        res.update(verdict=MET if good else MISSED,
                   why="interval [%.3f, %.3f] wholly %s %g" % (
                       low, high, "meets" if good else "misses", threshold))
        return res
    total = pairs_needed(n, res["median"], low, high, threshold)
    if total is None:
        why = ("interval [%.3f, %.3f] contains %g and the median %.3f is too close "
               "to it for more pairs to decide (over %d)" % (
                   low, high, threshold, res["median"], MAX_PAIRS))
    else:
        res["more_pairs"] = total - n
        why = ("interval [%.3f, %.3f] contains %g; about %d pairs in all would "
               "decide it if the spread stays as measured" % (low, high, threshold, total))
    res.update(verdict=INCONCLUSIVE, why=why)
    return res


def combine(crit, failed=(), met_why="every interval meets the target"):
    """A row's verdict from its criteria ({name: criterion(...)}) and the
    names of the conditions it failed (e.g. "payload copies")."""
    res = dict(crit)
    res["more_pairs"] = None
    missed = [k for k, c in crit.items() if c["verdict"] == MISSED] + list(failed)
    if missed:
        res.update(verdict=MISSED, why="missed: " + ", ".join(missed))
    elif all(c["verdict"] == MET for c in crit.values()):
        res.update(verdict=MET, why=met_why)
    else:
        open_ = [c for c in crit.values() if c["verdict"] == INCONCLUSIVE]
        more = [c["more_pairs"] for c in open_]
        res["more_pairs"] = None if None in more else max(more)
        res.update(verdict=INCONCLUSIVE, why="; ".join(
            "%s: %s" % (k, c["why"]) for k, c in crit.items() if c["verdict"] == INCONCLUSIVE))
    return res


def overall(verdicts, rows_not_run=0):
    """The verdict over a target's rows: MISSED if any row MISSED, MET only
    if every row was run (rows_not_run == 0) and MET, else INCONCLUSIVE."""
    verdicts = list(verdicts)
    count = {v: sum(1 for x in verdicts if x == v) for v in (MET, MISSED, INCONCLUSIVE)}
    if count[MISSED]:
        v = MISSED
    elif count[MET] == len(verdicts) and verdicts and not rows_not_run:
        v = MET
    else:
        v = INCONCLUSIVE
    return {"verdict": v, "met": count[MET], "missed": count[MISSED],
            "inconclusive": count[INCONCLUSIVE], "rows_not_run": rows_not_run}
