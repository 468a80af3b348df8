#!/usr/bin/env python3
"""Expected values for the Metrics API tests (MetricsApiIT), computed with numpy / scipy in float64.

Writes ../resources/metrics/random-cases.json. Run from this directory with /usr/bin/python3
(numpy 1.24, scipy 1.10): python3 metrics_reference.py. Non-finite numbers are written as the strings
"Infinity", "-Infinity", "NaN" (as in libs/divergence's reference file). Orientation: p is the target,
q the model, kl = KL(p||q); logs are natural unless a case says bits.
"""
import json
import math
import os
from fractions import Fraction
from math import comb

import numpy as np
from scipy import special, stats
from scipy.spatial import distance

SEED = 20261206
rng = np.random.default_rng(SEED)


def enc(x):
    if isinstance(x, dict):
        return {k: enc(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [enc(v) for v in x]
    if isinstance(x, np.ndarray):
        return enc(x.tolist())
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        return x
    if isinstance(x, np.integer):
        return int(x)
    return x


def kl(p, q):
    return special.rel_entr(p, q).sum()


def chi2(p, q):
    s = 0.0
    for a, b in zip(p, q):
        if b > 0:
            s += (a - b) ** 2 / b
        elif a > 0:
            return math.inf
    return s


def power_sum(p, q, a):
    keep = ~((p == 0) & (q == 0))
    return float(np.sum(p[keep] ** a * q[keep] ** (1 - a)))


DIVERGENCES = {
    "kl": ({}, lambda p, q: kl(p, q)),
    "reverse_kl": ({}, lambda p, q: kl(q, p)),
    "js": ({}, lambda p, q: 0.5 * (kl(p, (p + q) / 2) + kl(q, (p + q) / 2))),
    # scipy's jensenshannon is the distance
    "js_distance": ({}, lambda p, q: distance.jensenshannon(p, q)),
    "jsd": ({"beta": 0.3}, lambda p, q: 0.3 * kl(p, 0.3 * p + 0.7 * q) + 0.7 * kl(q, 0.3 * p + 0.7 * q)),
    "tv": ({}, lambda p, q: 0.5 * np.abs(p - q).sum()),
    "hellinger": ({}, lambda p, q: 0.5 * ((np.sqrt(p) - np.sqrt(q)) ** 2).sum()),
    "chi2": ({}, chi2),
    "jeffreys": ({}, lambda p, q: kl(p, q) + kl(q, p)),
    "bhattacharyya": ({}, lambda p, q: -math.log(np.sqrt(p * q).sum()) if np.sqrt(p * q).sum() > 0 else math.inf),
    "renyi": ({"alpha": 0.5}, lambda p, q: math.log(power_sum(p, q, 0.5)) / (0.5 - 1)),
}


def random_rows(rows, vocab, zeros):
    m = rng.dirichlet(np.ones(vocab) * 0.7, size=rows)
    for r, c in zeros:
        m[r, c] = 0.0
    return m / m.sum(axis=1, keepdims=True)


def probability_cases():
    cases = []
    rows, vocab = 4, 7
    # row 0: zeros only in p; row 1: q misses mass of p (kl = inf); row 2: shared zero; row 3: no zeros
    p = random_rows(rows, vocab, [(0, 1), (0, 4), (1, 2), (2, 5)])
    q = random_rows(rows, vocab, [(1, 3), (2, 5)])
    for name, (params, f) in DIVERGENCES.items():
        values = [f(p[r], q[r]) for r in range(rows)]
        cases.append({"name": name + " normalised rows", "divergence": name, "parameters": params,
                      "normalise": False, "logBase": "nats", "p": p, "q": q, "expected": values})
    # counts: normalise divides each row by its sum first (as scipy.stats.entropy)
    pc = np.round(p * 50) + np.where(p > 0, 1, 0)
    qc = np.round(q * 50) + np.where(q > 0, 1, 0)
    pn = pc / pc.sum(axis=1, keepdims=True)
    qn = qc / qc.sum(axis=1, keepdims=True)
    for name in ["kl", "js", "js_distance", "tv"]:
        params, f = DIVERGENCES[name]
        cases.append({"name": name + " counts normalised", "divergence": name, "parameters": params,
                      "normalise": True, "logBase": "nats", "p": pc, "q": qc,
                      "expected": [f(pn[r], qn[r]) for r in range(rows)]})
    # bits: scipy's entropy(base=2) and jensenshannon(base=2)
    cases.append({"name": "kl bits", "divergence": "kl", "parameters": {}, "normalise": False, "logBase": "bits",
                  "p": p, "q": q, "expected": [stats.entropy(p[r], q[r], base=2) for r in range(rows)]})
    cases.append({"name": "js_distance bits", "divergence": "js_distance", "parameters": {}, "normalise": False,
                  "logBase": "bits", "p": p, "q": q,
                  "expected": [distance.jensenshannon(p[r], q[r], base=2) for r in range(rows)]})
    return cases


def float32_cases():
    """Inputs exactly representable in float32 (sent as binary float32); expected values on those values."""
    p = random_rows(3, 9, [(0, 0), (2, 4)]).astype(np.float32).astype(np.float64)
    q = random_rows(3, 9, [(1, 6)]).astype(np.float32).astype(np.float64)
    pn = p / p.sum(axis=1, keepdims=True)
    qn = q / q.sum(axis=1, keepdims=True)
    cases = []
    for name in ["kl", "reverse_kl", "js", "tv"]:
        params, f = DIVERGENCES[name]
        cases.append({"name": name + " float32", "divergence": name, "parameters": params, "normalise": True,
                      "logBase": "nats", "p": p, "q": q, "expected": [f(pn[r], qn[r]) for r in range(3)]})
    return cases


def logits_cases():
    rows, vocab, temperature = 3, 6, 2.0
    t = rng.normal(0, 3, size=(rows, vocab))
    s = rng.normal(0, 3, size=(rows, vocab))
    lp = special.log_softmax(t / temperature, axis=1)
    lq = special.log_softmax(s / temperature, axis=1)
    p, q = np.exp(lp), np.exp(lq)
    cases = []
    mask = [True, False, True]
    for name in ["kl", "reverse_kl", "js", "jsd", "tv", "hellinger"]:
        params, f = DIVERGENCES[name]
        if name == "kl":
            values = [float(np.sum(p[r] * (lp[r] - lq[r]))) for r in range(rows)]
        elif name == "reverse_kl":
            values = [float(np.sum(q[r] * (lq[r] - lp[r]))) for r in range(rows)]
        else:
            values = [f(p[r], q[r]) for r in range(rows)]
        values = [v if mask[r] else 0.0 for r, v in enumerate(values)]
        kept = [v for r, v in enumerate(values) if mask[r]]
        cases.append({"name": name + " logits", "divergence": name, "parameters": params, "temperature": temperature,
                      "rowMask": mask, "teacherLogits": t, "studentLogits": s, "expected": values,
                      "expectedMean": sum(kept) / len(kept)})
    # top-k teacher: its k most probable tokens with float32 log-probabilities (as a teacher cache stores them)
    # and one tail bin holding the rest of its mass; the student summed over the same bins
    k = 3
    all_rows = [True] * rows
    for name in ["kl", "reverse_kl", "js", "tv"]:
        params, f = DIVERGENCES[name]
        values = []
        for r in range(rows):
            top = np.argsort(-lp[r], kind="stable")[:k]
            rest = np.setdiff1d(np.arange(vocab), top)
            lp_bins = np.append(lp[r][top].astype(np.float32).astype(np.float64), math.log(np.exp(lp[r][rest]).sum()))
            lq_bins = np.append(lq[r][top], special.logsumexp(lq[r][rest]))
            pb, qb = np.exp(lp_bins), np.exp(lq_bins)
            if name == "kl":
                values.append(float(np.sum(pb * (lp_bins - lq_bins))))
            elif name == "reverse_kl":
                values.append(float(np.sum(qb * (lq_bins - lp_bins))))
            else:
                values.append(f(pb, qb))
        cases.append({"name": name + " top-" + str(k) + " logits", "divergence": name, "parameters": params,
                      "temperature": temperature, "rowMask": all_rows, "topK": k, "teacherLogits": t,
                      "studentLogits": s, "expected": values, "expectedMean": sum(values) / rows})
    return cases


def float32_logits_cases():
    """float32 logits (exact float32 values), expected in float64. The service may run the library's float32
    kernel on them, so the test bounds the difference from float32 rounding; this gives the magnitudes it needs."""
    rows, vocab, temperature = 4, 512, 1.5
    t = rng.normal(0, 4, size=(rows, vocab)).astype(np.float32).astype(np.float64)
    s = rng.normal(0, 4, size=(rows, vocab)).astype(np.float32).astype(np.float64)
    lp = special.log_softmax(t / temperature, axis=1)
    lq = special.log_softmax(s / temperature, axis=1)
    p, q = np.exp(lp), np.exp(lq)
    cases = []
    for name in ["kl", "reverse_kl", "js", "tv"]:
        params, f = DIVERGENCES[name]
        if name == "kl":
            values = [float(np.sum(p[r] * (lp[r] - lq[r]))) for r in range(rows)]
        elif name == "reverse_kl":
            values = [float(np.sum(q[r] * (lq[r] - lp[r]))) for r in range(rows)]
        else:
            values = [f(p[r], q[r]) for r in range(rows)]
        cases.append({"divergence": name, "expected": values})
    return {"temperature": temperature, "teacherLogits": t, "studentLogits": s, "cases": cases,
            # largest |z / T| of each row (both inputs) and sum_i (p_i + q_i)(|log p_i| + |log q_i| + 1)
            "maxScaledLogit": [float(max(np.abs(t[r]).max(), np.abs(s[r]).max()) / temperature) for r in range(rows)],
            "magnitude": [float(np.sum((p[r] + q[r]) * (np.abs(lp[r]) + np.abs(lq[r]) + 1))) for r in range(rows)]}


def calibration_cases():
    n, classes = 60, 4
    probs = rng.dirichlet(np.ones(classes), size=n)
    probs[0] = [1.0, 0.0, 0.0, 0.0]  # confidence exactly 1 (last bin, numpy histogram)
    probs[1] = [0.5, 0.3, 0.2, 0.0]  # confidence exactly on an inner edge
    probs[2] = [0.25, 0.25, 0.25, 0.25]  # ties: the first maximum is the prediction
    targets = rng.integers(0, classes, size=n)
    targets[0] = 0
    cases = []
    for bins in [10, 7]:
        conf = probs.max(axis=1)
        acc = (probs.argmax(axis=1) == targets).astype(float)
        edges = np.linspace(0, 1, bins + 1)
        counts, _ = np.histogram(conf, bins=edges)
        index = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, bins - 1)
        assert np.array_equal(np.bincount(index, minlength=bins), counts)
        gaps, shares = [], []
        for b in range(bins):
            sel = index == b
            if sel.any():
                gaps.append(abs(acc[sel].mean() - conf[sel].mean()))
                shares.append(sel.sum() / n)
        gaps, shares = np.array(gaps), np.array(shares)
        onehot = np.eye(classes)[targets]
        cases.append({"probabilities": probs, "targets": targets, "bins": bins, "edges": "numpy_histogram",
                      "expected": {"l1": float(np.sum(shares * gaps)), "l2": float(np.sqrt(np.sum(shares * gaps ** 2))),
                                   "max": float(gaps.max())},
                      "expectedCounts": counts, "expectedBrier": float(np.mean(np.sum((probs - onehot) ** 2, axis=1)))})
    return cases


def pass_at_k():
    n = [10, 7, 12, 9]
    c = [0, 3, 12, 8]
    expected = []
    for k in range(1, min(n) + 1):
        values = [1 - Fraction(comb(ni - ci, k), comb(ni, k)) for ni, ci in zip(n, c)]
        expected.append(float(sum(values) / len(values)))
    return {"n": n, "c": c, "expected": expected}


def vendi():
    x = rng.normal(size=(6, 8))
    x[3] = 0.0
    x[3, 2] = 2.5  # exact zeros in an embedding
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    k = unit @ unit.T
    w = np.linalg.eigvalsh(k / len(k))
    w = w[w > 0]
    out = []
    for q in [0.5, 1.0, 2.0, math.inf]:
        if q == 1.0:
            out.append(math.exp(-np.sum(w * np.log(w))))
        elif q == math.inf:
            out.append(1 / w.max())
        else:
            out.append(math.exp(math.log(np.sum(w ** q)) / (1 - q)))
    return {"embeddings": x, "similarity": k, "q": [0.5, 1.0, 2.0, math.inf], "expected": out}


def wasserstein():
    u = rng.normal(size=7)
    v = rng.normal(1, 2, size=5)
    uw = rng.uniform(0, 1, size=7)
    uw[2] = 0.0  # an exact zero weight
    vw = rng.uniform(0, 1, size=5)
    return {"u": u, "v": v, "uWeights": uw, "vWeights": vw,
            "expected": stats.wasserstein_distance(u, v, uw, vw), "expectedUnweighted": stats.wasserstein_distance(u, v)}


def centred(d, unbiased):
    n = len(d)
    if not unbiased:
        return d - d.mean(axis=0, keepdims=True) - d.mean(axis=1, keepdims=True) + d.mean()
    out = d - d.sum(axis=0, keepdims=True) / (n - 2) - d.sum(axis=1, keepdims=True) / (n - 2) + d.sum() / ((n - 1) * (n - 2))
    np.fill_diagonal(out, 0.0)
    return out


def dcov_product(a, b, unbiased):
    n = len(a)
    return float(np.sum(a * b) / (n * (n - 3) if unbiased else n * n))


def dependence():
    x = rng.normal(size=(9, 2))
    y = (x[:, :1] ** 2 + rng.normal(scale=0.3, size=(9, 1)))
    z = rng.normal(size=(9, 1))
    dist = lambda m: np.sqrt(((m[:, None, :] - m[None, :, :]) ** 2).sum(axis=2))
    out = {"x": x, "y": y, "z": z}
    for name, unbiased in [("biased", False), ("unbiased", True)]:
        a, b = centred(dist(x), unbiased), centred(dist(y), unbiased)
        xy, xx, yy = dcov_product(a, b, unbiased), dcov_product(a, a, unbiased), dcov_product(b, b, unbiased)
        out[name] = {"covarianceSquared": xy, "correlationSquared": xy / math.sqrt(xx * yy)}
    # JdCov^2 (biased, c = 1) of (x, y, z) with the jdcov package's sign: U = -(centred distances)
    us = [-centred(dist(m), False) for m in (x, y, z)]
    c = 1.0
    out["jointCovarianceSquaredBiasedC1"] = float(np.mean(np.prod([u + c for u in us], axis=0) - c ** 3))
    return out


def main():
    data = {
        "meta": {"generator": "metrics_reference.py", "seed": SEED, "numpy": np.__version__,
                 "scipy": __import__("scipy").__version__},
        "probabilityCases": probability_cases(),
        "float32Cases": float32_cases(),
        "logitsCases": logits_cases(),
        "calibrationCases": calibration_cases(),
        "passAtK": pass_at_k(),
        "vendi": vendi(),
        "wasserstein": wasserstein(),
        "dependence": dependence(),
    }
    # drawn last so that the values above stay those of earlier versions of this file
    data["float32Logits"] = float32_logits_cases()
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.path.join(here, "..", "resources", "metrics", "random-cases.json")
    with open(target, "w") as out:
        json.dump(enc(data), out, indent=1, allow_nan=False)
        out.write("\n")


if __name__ == "__main__":
    main()
