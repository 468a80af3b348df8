"""Reference values for RunningStatistics.confidenceInterval (Student-t interval for the mean).

Run from the repository root with numpy and scipy installed:
    python3 libs/divergence/src/test/python/student_t_reference.py
It rewrites libs/divergence/src/test/resources/reference/student_t.json. Every value comes from
scipy.stats.t and numpy, independently of the Java code under test.

scipy 1.10's t.ppf (cephes stdtrit) is accurate to only about 2e-9 relative in places (t.ppf(0.9, 3)
= 1.637744357215907, where the closed form of df = 3 gives 1.6377443536962097), so each quantile is
refined by Newton steps on the tail probability (t.sf, cephes stdtr, accurate to about 1e-15):
t <- t + (sf(t) - q) / pdf(t) with q the upper tail.
"""
import json
import pathlib

import numpy as np
import scipy
from scipy import stats

OUT = pathlib.Path(__file__).resolve().parents[1] / "resources" / "reference" / "student_t.json"
LEVELS = [0.5, 0.9, 0.95, 0.99, 0.999, 1 - 1e-9]


def upper_quantile(tail, df):
    """The t with sf(t) = tail (tail < 1/2): t.isf refined by Newton steps on the tail probability."""
    t = stats.t.isf(tail, df)
    for _ in range(4):
        t = t + (stats.t.sf(t, df) - tail) / stats.t.pdf(t, df)
    return float(t)


def quantile(p, df):
    """t.ppf(p, df); 1 - p and p are exact in binary for the p used here (Sterbenz)."""
    if p == 0.5:
        return 0.0
    return upper_quantile(1 - p, df) if p > 0.5 else -upper_quantile(p, df)


def sample_sets():
    rng = np.random.default_rng(20261206)
    yield "two values", [1.0, 2.0]
    yield "three values", [0.25, -1.5, 4.0]
    yield "ten integers", [float(i) for i in range(1, 11)]
    yield "31 normal", list(rng.normal(3.0, 2.0, 31))
    yield "200 lognormal", list(rng.lognormal(0.0, 1.0, 200))
    yield "1000 uniform", list(rng.uniform(-1.0, 1.0, 1000))


def main():
    cases = []
    for name, values in sample_sets():
        x = np.asarray(values, dtype=np.float64)
        n = len(x)
        mean = float(np.mean(x))
        sem = float(np.std(x, ddof=1) / np.sqrt(n))
        intervals = []
        for level in LEVELS:
            # the interval's tail (1 - level) / 2 is exact in binary; 0.5 + level / 2 would round it
            t = upper_quantile((1 - level) / 2, n - 1)
            intervals.append({"level": level, "t_quantile": t, "lower": mean - t * sem, "upper": mean + t * sem})
        cases.append({"name": name, "values": [float(v) for v in x], "mean": mean,
                      "standard_error": sem, "intervals": intervals})
    quantiles = []
    for df in [1, 2, 3, 4, 5, 9, 10, 30, 100, 1000, 10**6]:
        for p in [1e-10, 1e-3, 0.025, 0.1, 0.5, 0.6, 0.9, 0.975, 0.999, 1 - 1e-10]:
            quantiles.append({"df": df, "p": p, "ppf": quantile(p, df)})
    document = {"generator": "scipy " + scipy.__version__ + ", numpy " + np.__version__,
                "intervals": cases, "quantiles": quantiles}
    OUT.write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    main()
