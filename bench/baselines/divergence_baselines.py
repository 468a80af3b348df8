#!/usr/bin/python3
"""numpy/scipy and PyTorch-CPU baselines for `bench/run.sh divergence`.

Each baseline does the same work as the matching JMH benchmark in bench/jmh-divergence, written the
straightforward vectorised way a user would (scipy-style numpy; idiomatic torch.nn.functional).
It also writes the Sinkhorn inputs so that both sides solve the same problems.

usage: divergence_baselines.py OUT_DIR [GROUP]
  GROUP is one of logits_64x32000, logits_8x152064, sinkhorn, ece (default: all). Throughputs are
  merged into OUT_DIR/baselines.json keeping the best value per entry, so that bench/run.sh can
  interleave baseline and JMH rounds on a shared machine and compare best against best.
"""
import json
import math
import sys
import time

import numpy as np
import scipy.special

try:
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(2)  # the JVM side uses both cores of this machine too
except ImportError:  # PyTorch is optional
    torch = None

TEMPERATURE = 2.0
JSD_BETA = 0.1
SHAPES = [(64, 32000), (8, 152064)]
SINKHORN_EPS = 0.05
SINKHORN_TOL = 1e-6


def throughput(fn, windows=5, min_seconds=0.5, min_calls=2):
    """Best calls-per-second over several short windows, after warm-up calls (JMH side: best iteration)."""
    for _ in range(3):
        fn()
    best = 0.0
    for _ in range(windows):
        calls = 0
        start = time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds and calls >= min_calls:
                break
        best = max(best, calls / elapsed)
    return best


# ---- (a) fused logits -> KL / JS / jsd, token mean --------------------------------------------
def np_log_softmax(z):
    x = z / np.float32(TEMPERATURE)
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def np_kl(t, s):
    lp, lq = np_log_softmax(t), np_log_softmax(s)
    return float((np.exp(lp) * (lp - lq)).sum(axis=1).mean())


def np_js(t, s):
    # scipy.spatial.distance.jensenshannon's arithmetic (without the final sqrt), per row
    p, q = np.exp(np_log_softmax(t)), np.exp(np_log_softmax(s))
    m = (p + q) / 2
    return float(((scipy.special.rel_entr(p, m) + scipy.special.rel_entr(q, m)).sum(axis=1) / 2).mean())


def np_jsd(t, s, beta=JSD_BETA):
    # TRL's generalized_jsd_loss, in numpy
    lp, lq = np_log_softmax(t), np_log_softmax(s)
    lm = np.logaddexp(lq + np.float32(math.log(1 - beta)), lp + np.float32(math.log(beta)))
    kl_t = (np.exp(lp) * (lp - lm)).sum(axis=1)
    kl_s = (np.exp(lq) * (lq - lm)).sum(axis=1)
    return float((beta * kl_t + (1 - beta) * kl_s).mean())


def torch_kl(t, s):
    lp, lq = F.log_softmax(t / TEMPERATURE, -1), F.log_softmax(s / TEMPERATURE, -1)
    return float(F.kl_div(lq, lp, reduction="none", log_target=True).sum(-1).mean())


def torch_js(t, s):
    lp, lq = F.log_softmax(t / TEMPERATURE, -1), F.log_softmax(s / TEMPERATURE, -1)
    lm = (0.5 * (lp.exp() + lq.exp())).log()
    js = 0.5 * (F.kl_div(lm, lp, reduction="none", log_target=True) + F.kl_div(lm, lq, reduction="none", log_target=True))
    return float(js.sum(-1).mean())


def torch_jsd(t, s, beta=JSD_BETA):
    lp, lq = F.log_softmax(t / TEMPERATURE, -1), F.log_softmax(s / TEMPERATURE, -1)
    lm = torch.logsumexp(torch.stack([lq + math.log(1 - beta), lp + math.log(beta)]), dim=0)
    kl_t = F.kl_div(lm, lp, reduction="none", log_target=True)
    kl_s = F.kl_div(lm, lq, reduction="none", log_target=True)
    return float((beta * kl_t + (1 - beta) * kl_s).sum(-1).mean())


# ---- (b) Sinkhorn, log domain (POT's sinkhorn_log iteration, max-norm column error every 10) ----
def np_sinkhorn_log(a, b, M, reg, tol, max_iter=100_000):
    """a: [..., n], b: [..., m], M: [..., n, m]; batched problems iterate until all converge."""
    Mr = -M / reg
    loga, logb = np.log(a), np.log(b)
    u = np.zeros_like(a)
    v = np.zeros_like(b)
    for it in range(1, max_iter + 1):
        v = logb - scipy.special.logsumexp(Mr + u[..., :, None], axis=-2)
        u = loga - scipy.special.logsumexp(Mr + v[..., None, :], axis=-1)
        if it % 10 == 0:
            P = np.exp(Mr + u[..., :, None] + v[..., None, :])
            if np.abs(P.sum(axis=-2) - b).max() < tol:
                break
    P = np.exp(Mr + u[..., :, None] + v[..., None, :])
    return (P * M).sum(axis=(-2, -1)), it


def sinkhorn_cost(rng, n):
    x, y = rng.random((n, 2)), rng.random((n, 2))
    c = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    return c / c.max()


# ---- (c) ECE over 10^6 predictions ----------------------------------------------------------------
def np_ece(conf, acc, bins=15):
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, bins - 1)  # numpy.histogram edges
    count = np.bincount(idx, minlength=bins)
    conf_sum = np.bincount(idx, weights=conf, minlength=bins)
    acc_sum = np.bincount(idx, weights=acc, minlength=bins)
    nz = count > 0
    gaps = np.abs(acc_sum[nz] / count[nz] - conf_sum[nz] / count[nz])
    return float((count[nz] / conf.size * gaps).sum())


def run_logits(entries, rows, vocab):
    rng = np.random.default_rng(42)
    t = (rng.standard_normal((rows, vocab)) * 4).astype(np.float32)
    s = (rng.standard_normal((rows, vocab)) * 4).astype(np.float32)
    shape = f"{rows}x{vocab}"
    for name, np_fn, torch_fn in (("kl", np_kl, torch_kl), ("js", np_js, torch_js), ("jsd", np_jsd, torch_jsd)):
        entries[f"{name}_logits_{shape}/numpy"] = throughput(lambda: np_fn(t, s))
        if torch:
            tt, ts = torch.from_numpy(t), torch.from_numpy(s)
            with torch.no_grad():
                entries[f"{name}_logits_{shape}/torch"] = throughput(lambda: torch_fn(tt, ts))


def run_sinkhorn(entries, notes, out_dir):
    # Sinkhorn inputs, shared with the JMH side as raw little-endian float64
    rng = np.random.default_rng(7)
    c256 = sinkhorn_cost(rng, 256)
    batch = np.stack([sinkhorn_cost(rng, 32) for _ in range(64)])
    c256.astype("<f8").tofile(f"{out_dir}/sinkhorn_256.f64")
    batch.astype("<f8").tofile(f"{out_dir}/sinkhorn_64x32.f64")
    a256 = np.full(256, 1 / 256)
    a32 = np.full((64, 32), 1 / 32)
    cost, iters = np_sinkhorn_log(a256, a256, c256, SINKHORN_EPS, SINKHORN_TOL)
    notes["sinkhorn_256_numpy_cost"], notes["sinkhorn_256_numpy_iterations"] = float(cost), iters
    entries["sinkhorn_256x256/numpy"] = throughput(lambda: np_sinkhorn_log(a256, a256, c256, SINKHORN_EPS, SINKHORN_TOL))
    costs, iters = np_sinkhorn_log(a32, a32, batch, SINKHORN_EPS, SINKHORN_TOL)
    notes["sinkhorn_64x32_numpy_first_cost"], notes["sinkhorn_64x32_numpy_iterations"] = float(costs[0]), iters
    entries["sinkhorn_batch_64x32x32/numpy"] = throughput(lambda: np_sinkhorn_log(a32, a32, batch, SINKHORN_EPS, SINKHORN_TOL))


def run_ece(entries):
    rng = np.random.default_rng(3)
    conf = 0.1 + 0.9 * rng.random(1_000_000)
    acc = (rng.random(1_000_000) < conf * 0.95).astype(np.float64)
    entries["ece_1e6/numpy"] = throughput(lambda: np_ece(conf, acc))


def main():
    out_dir = sys.argv[1]
    group = sys.argv[2] if len(sys.argv) > 2 else "all"
    path = f"{out_dir}/baselines.json"
    try:
        with open(path) as f:
            results = json.load(f)
    except FileNotFoundError:
        results = {"numpy": np.__version__, "scipy": scipy.__version__,
                   "torch": torch.__version__ if torch else None,
                   "torch_threads": torch.get_num_threads() if torch else None, "entries": {}}
    entries = {}
    if group in ("all", "logits_64x32000"):
        run_logits(entries, 64, 32000)
    if group in ("all", "logits_8x152064"):
        run_logits(entries, 8, 152064)
    if group in ("all", "sinkhorn"):
        run_sinkhorn(entries, results, out_dir)
    if group in ("all", "ece"):
        run_ece(entries)
    for key, value in entries.items():
        results["entries"][key] = max(value, results["entries"].get(key, 0.0))
        print(f"{key}: {value:.2f} ops/s", flush=True)
    with open(path, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
