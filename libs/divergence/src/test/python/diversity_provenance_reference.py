"""Reference values for distinct-n, n-gram similarity / self-similarity, DC-PDD, the zero-shot provenance
statistic and per-position curves (libs/divergence packages diversity, provenance, evaluation).

Run from the repository root with numpy and scipy installed (the system interpreter):
    /usr/bin/python3 libs/divergence/src/test/python/diversity_provenance_reference.py
It rewrites libs/divergence/src/test/resources/reference/diversity_provenance.json. Every value is computed here
from the definitions (collections.Counter, numpy, scipy.stats.t), independently of the Java code under test.
"""
import json
import math
import pathlib
from collections import Counter

import numpy as np
import scipy
from scipy import stats

OUT = pathlib.Path(__file__).resolve().parents[1] / "resources" / "reference" / "diversity_provenance.json"
rng = np.random.default_rng(20261206)


def ngrams(seq, n):
    return [tuple(seq[i:i + n]) for i in range(len(seq) - n + 1)]


def distinct_corpus(seqs, n):
    grams = [g for s in seqs for g in ngrams(s, n)]
    return len(set(grams)), len(grams), (len(set(grams)) / len(grams) if grams else 0.0)


def distinct_mean(seqs, n):
    values = []
    for s in seqs:
        g = ngrams(s, n)
        values.append(len(set(g)) / len(g) if g else 0.0)
    return float(np.mean(values))


def cosine_matrix(seqs, n):
    """Cosine of n-gram count vectors; empty bags: 1 with each other, 0 with non-empty ones."""
    counts = [Counter(ngrams(s, n)) for s in seqs]
    vocab = sorted({g for c in counts for g in c})
    index = {g: k for k, g in enumerate(vocab)}
    x = np.zeros((len(seqs), len(vocab)))
    for i, c in enumerate(counts):
        for g, v in c.items():
            x[i, index[g]] = v
    norms = np.sqrt((x * x).sum(axis=1))
    m = len(seqs)
    k = np.eye(m)
    for i in range(m):
        for j in range(m):
            if i == j:
                continue
            if norms[i] == 0 or norms[j] == 0:
                k[i, j] = 1.0 if norms[i] == 0 and norms[j] == 0 else 0.0
            else:
                k[i, j] = float(x[i] @ x[j]) / (norms[i] * norms[j])
    return k


def similarity(seqs, max_order):
    k = np.mean([cosine_matrix(seqs, n) for n in range(1, max_order + 1)], axis=0)
    np.fill_diagonal(k, 1.0)
    return k


def vendi_q1(k):
    w = np.linalg.eigvalsh(k / len(k))
    w = w[w > 0]
    return float(np.exp(-np.sum(w * np.log(w))))


def token_sets():
    yield "hand", [[1, 2, 3, 1, 2], [1, 2, 4], [], [5], [1, 2, 3, 1, 2]]
    yield "all shorter than 3", [[7, 8], [9], []]
    yield "repeats", [[3] * 6, [3, 3, 4, 3, 3, 4], [4, 3] * 4]
    for k in range(3):
        m = int(rng.integers(2, 9))
        yield f"random {k}", [list(map(int, rng.integers(0, 6, int(rng.integers(0, 25))))) for _ in range(m)]
    yield "large", [list(map(int, rng.integers(0, 40, int(rng.integers(20, 120))))) for _ in range(30)]


def diversity_cases():
    cases = []
    for name, seqs in token_sets():
        distinct = []
        for n in range(1, 5):
            d, t, r = distinct_corpus(seqs, n)
            distinct.append({"n": n, "distinct": d, "total": t, "ratio": r, "mean_per_sample": distinct_mean(seqs, n)})
        sims = []
        for max_order in (1, 2, 4):
            k = similarity(seqs, max_order)
            entry = {"max_order": max_order, "matrix": k.tolist(), "order_matrix": cosine_matrix(seqs, max_order).tolist(),
                     "vendi_q1": vendi_q1(k)}
            if len(seqs) >= 2:
                m = len(seqs)
                entry["self_similarity"] = float((k.sum() - np.trace(k)) / (m * (m - 1)))
            sims.append(entry)
        cases.append({"name": name, "sequences": seqs, "distinct": distinct, "similarity": sims})
    return cases


def string_cases():
    texts = ["the cat sat on the mat", "the cat sat", "a dog sat on the mat", "", "the the the"]
    seqs = [t.split() for t in texts]
    return [{"name": "words", "sequences": seqs,
             "distinct": [{"n": n, "ratio": distinct_corpus(seqs, n)[2], "mean_per_sample": distinct_mean(seqs, n)}
                          for n in (1, 2, 3)],
             "similarity": [{"max_order": mo, "matrix": similarity(seqs, mo).tolist()} for mo in (1, 2, 3)]}]


def dcpdd(log_probs, ids, counts, a):
    counts = np.asarray(counts, dtype=np.float64)
    f = (counts + 1) / (counts.sum() + len(counts))  # Laplace smoothing of the paper
    positions, seen = [], set()
    for i, t in enumerate(ids):
        if t not in seen:
            seen.add(t)
            positions.append(i)
    p = np.exp(np.asarray(log_probs)[positions])
    neg_log_f = -np.log(f[np.asarray(ids)[positions]])
    alpha = p * neg_log_f
    clipped = np.minimum(alpha, a)
    return {"a": a, "score": float(np.mean(clipped)), "positions": positions, "alphas": alpha.tolist(),
            "clipped_alphas": clipped.tolist(), "clipped_count": int(np.sum(alpha > a))}


def dcpdd_cases():
    cases = []
    for k in range(5):
        v = int(rng.integers(5, 60))
        counts = rng.integers(0, 1000, v) * (rng.random(v) < 0.8)  # about one in five tokens never seen
        n = int(rng.integers(1, 80))
        ids = list(map(int, rng.integers(0, v, n)))
        log_probs = list(np.log(rng.random(n) ** 3))
        results = [dcpdd(log_probs, ids, counts, a) for a in (0.01, 0.001, 0.5, 100.0)]
        cases.append({"name": f"random {k}", "counts": list(map(int, counts)), "token_ids": ids,
                      "log_probs": [float(x) for x in log_probs], "results": results})
    return cases


def provenance(log_probs, entropies, v, delta):
    n = len(log_probs)
    s = -np.asarray(log_probs)
    h = np.asarray(entropies)
    mean_s, mean_h = float(np.sum(s) / n), float(np.sum(h) / n)
    t = mean_s - mean_h
    b = math.log(2 * n * v / delta)
    tau = b * math.sqrt(math.log(4 / delta) / (2 * n))
    lower = -(tau + delta / (2 * math.e * n))
    return {"delta": delta, "statistic": t, "mean_log_perplexity": mean_s, "mean_entropy": mean_h, "clip_bound": b,
            "upper_threshold": tau, "lower_threshold": lower, "consistent": bool(lower < t < tau)}


def provenance_cases():
    cases = []
    for k, (n, v) in enumerate([(1, 2), (7, 10), (300, 50), (5000, 32000)]):
        logits = rng.normal(0, 2, (n, v))
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        h = -np.sum(p * np.log(p), axis=1)
        # tokens from another distribution for the larger cases so that both decisions occur
        q = p if k < 2 else np.roll(p, 1, axis=1) ** 0.5
        q = q / q.sum(axis=1, keepdims=True)
        x = [int(rng.choice(v, p=q[i])) for i in range(n)]
        lp = np.log(p[np.arange(n), x])
        cases.append({"name": f"n={n} V={v}", "vocabulary_size": v, "log_probs": lp.tolist(), "entropies": h.tolist(),
                      "results": [provenance(lp, h, v, d) for d in (0.05, 0.001, 0.5)]})
    return cases


def upper_quantile(tail, df):
    """The t with sf(t) = tail: t.isf refined by Newton steps (see student_t_reference.py)."""
    t = stats.t.isf(tail, df)
    for _ in range(4):
        t = t + (stats.t.sf(t, df) - tail) / stats.t.pdf(t, df)
    return float(t)


def curve_cases():
    rows = [list(rng.normal(0.5, 0.2, int(rng.integers(1, 12)))) for _ in range(9)]
    rows.append([])
    points = []
    for t in range(max(len(r) for r in rows)):
        column = np.array([r[t] for r in rows if len(r) > t])
        point = {"position": t, "count": len(column), "mean": float(np.mean(column))}
        if len(column) >= 2:
            half = upper_quantile(0.025, len(column) - 1) * float(np.std(column, ddof=1)) / math.sqrt(len(column))
            point["lower"] = point["mean"] - half
            point["upper"] = point["mean"] + half
        points.append(point)
    return [{"name": "ragged", "level": 0.95, "values": rows, "points": points}]


def main():
    document = {"generator": "scipy " + scipy.__version__ + ", numpy " + np.__version__,
                "diversity": diversity_cases(), "diversity_strings": string_cases(), "dcpdd": dcpdd_cases(),
                "provenance": provenance_cases(), "position_curve": curve_cases()}
    OUT.write_text(json.dumps(document) + "\n")


if __name__ == "__main__":
    main()
