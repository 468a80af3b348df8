#!/usr/bin/env python3
"""Expected values for WelchDifferenceTest, computed with numpy / scipy in float64 from raw samples.

Writes ../resources/analysis/welch-cases.json. Run from this directory with /usr/bin/python3
(numpy 1.24, scipy 1.10): python3 welch_reference.py.

Each case draws two independent samples a and b, stores each as the service stores a metric
(mean, Student-t interval at that run's level, n) and the expected difference b - a: Welch's
standard error and degrees of freedom from the raw samples, scipy's t quantile at the requested
level, and scipy's Welch test (ttest_ind, equal_var=False) as a cross-check that the interval
excludes 0 exactly when the p-value is below 1 - level. The Java side sees only the stored
estimates, so it must invert each interval back to a standard error correctly.

Quantiles: scipy 1.10's t.isf / t.ppf come from cdflib's root finder and are only good to about
2e-9 relative (t.isf(0.05, 4) = 2.131846781336291, the true value is 2.131846786326650), so every
quantile here is refined by Newton steps on t.sf (regularised incomplete beta, accurate to a few
ulps): x <- x + (sf(x) - p) / pdf(x); three steps reach double precision from 2e-9.
"""
import json
import os

import numpy as np
from scipy import stats

SEED = 20261207
rng = np.random.default_rng(SEED)


def upper_quantile(df, level):
    """The upper (1 + level) / 2 quantile of Student's t with df degrees of freedom, to double precision."""
    p = (1 - level) / 2
    x = float(stats.t.isf(p, df))
    for _ in range(3):
        x = x + (float(stats.t.sf(x, df)) - p) / float(stats.t.pdf(x, df))
    return x


def estimate(x, level):
    n = len(x)
    mean = float(np.mean(x))
    if n < 2:
        return {"mean": mean, "lower": None, "upper": None, "n": n}
    sem = float(stats.sem(x))  # sample standard deviation (ddof = 1) / sqrt(n)
    half = upper_quantile(n - 1, level) * sem
    return {"mean": mean, "lower": mean - half, "upper": mean + half, "n": n}


def case(name, a, b, level_a, level_b, level):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = {"name": name, "levelA": level_a, "levelB": level_b, "level": level,
           "a": estimate(a, level_a), "b": estimate(b, level_b)}
    difference = float(np.mean(b) - np.mean(a))
    expected = {"difference": difference}
    if len(a) >= 2 and len(b) >= 2:
        va = float(np.var(a, ddof=1)) / len(a)
        vb = float(np.var(b, ddof=1)) / len(b)
        se = (va + vb) ** 0.5
        df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
        half = upper_quantile(df, level) * se
        test = stats.ttest_ind(b, a, equal_var=False)
        # scipy's statistic is (mean_b - mean_a) / se: an independent route to the same standard error
        assert abs(test.statistic * se - difference) <= 1e-12 * max(abs(difference), 1e-300)
        excludes = bool(test.pvalue < 1 - level)
        assert excludes == (difference - half > 0 or difference + half < 0)
        expected.update({"standardError": se, "degreesOfFreedom": df, "lower": difference - half,
                         "upper": difference + half, "excludesZero": excludes, "pValue": float(test.pvalue)})
    else:
        expected.update({"standardError": None, "degreesOfFreedom": None, "lower": None, "upper": None,
                         "excludesZero": None})
    out["expected"] = expected
    return out


cases = [
    # hand-sized: a = 1, 2, 3 and b = 2, 4, 6, 8 (means 2 and 5)
    case("small-hand", [1, 2, 3], [2, 4, 6, 8], 0.95, 0.95, 0.95),
    case("n2-both", [0.1, 0.4], [0.9, 0.3], 0.95, 0.95, 0.95),
    case("levels-differ", rng.normal(0.3, 1.0, 40), rng.normal(0.5, 2.0, 25), 0.90, 0.99, 0.95),
    case("rewards-like-0-1", rng.integers(0, 2, 64).astype(float), rng.integers(0, 2, 64).astype(float), 0.95, 0.95, 0.95),
    case("clear-gain", rng.normal(0.2, 0.05, 200), rng.normal(0.35, 0.08, 150), 0.95, 0.95, 0.99),
    case("unequal-n", rng.exponential(1.0, 5), rng.exponential(1.0, 1000), 0.95, 0.95, 0.90),
    case("tiny-spread", 1e-3 + rng.normal(0, 1e-6, 30), 1e-3 + rng.normal(0, 1e-6, 30), 0.95, 0.95, 0.95),
    case("a-has-one", [0.7], rng.normal(0, 1, 10), 0.95, 0.95, 0.95),
]
for i in range(12):
    na, nb = int(rng.integers(2, 300)), int(rng.integers(2, 300))
    level = float(rng.choice([0.8, 0.9, 0.95, 0.99, 0.999]))
    cases.append(case(f"random-{i}", rng.normal(rng.normal(), rng.uniform(0.1, 3), na),
                      rng.normal(rng.normal(), rng.uniform(0.1, 3), nb),
                      float(rng.choice([0.9, 0.95, 0.99])), float(rng.choice([0.9, 0.95, 0.99])), level))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "analysis", "welch-cases.json")
with open(path, "w") as f:
    json.dump({"seed": SEED, "generator": "src/test/python/welch_reference.py", "cases": cases}, f, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")
