#!/usr/bin/python3
"""numpy/scipy and PyTorch-CPU baselines for `bench/run.sh divergence`.

Each baseline does the same work as the matching JMH benchmark in bench/jmh-divergence, written the
straightforward vectorised way a user would (scipy-style numpy; idiomatic torch.nn.functional).
It also writes the Sinkhorn inputs so that both sides solve the same problems.

usage: divergence_baselines.py OUT_DIR   (writes OUT_DIR/baselines.json and OUT_DIR/sinkhorn_*.f64)
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


def throughput(fn, min_seconds=2.0, min_calls=5):
    """Calls per second over a measurement window, after warm-up calls."""
    for _ in range(3):
        fn()
    calls = 0
    start = time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds and calls >= min_calls:
            return calls / elapsed


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


def main():
    out_dir = sys.argv[1]
    rng = np.random.default_rng(42)
    results = {"numpy": np.__version__, "scipy": scipy.__version__,
               "torch": torch.__version__ if torch else None,
               "torch_threads": torch.get_num_threads() if torch else None, "entries": {}}
    entries = results["entries"]

    for rows, vocab in SHAPES:
        t = (rng.standard_normal((rows, vocab)) * 4).astype(np.float32)
        s = (rng.standard_normal((rows, vocab)) * 4).astype(np.float32)
        shape = f"{rows}x{vocab}"
        for name, np_fn, torch_fn in (("kl", np_kl, torch_kl), ("js", np_js, torch_js), ("jsd", np_jsd, torch_jsd)):
            entries[f"{name}_logits_{shape}/numpy"] = throughput(lambda: np_fn(t, s))
            if torch:
                tt, ts = torch.from_numpy(t), torch.from_numpy(s)
                with torch.no_grad():
                    entries[f"{name}_logits_{shape}/torch"] = throughput(lambda: torch_fn(tt, ts))
            print(f"{name} {shape}: numpy {entries[f'{name}_logits_{shape}/numpy']:.2f} ops/s", flush=True)

    # Sinkhorn inputs, shared with the JMH side as raw little-endian float64
    rng = np.random.default_rng(7)
    c256 = sinkhorn_cost(rng, 256)
    batch = np.stack([sinkhorn_cost(rng, 32) for _ in range(64)])
    c256.astype("<f8").tofile(f"{out_dir}/sinkhorn_256.f64")
    batch.astype("<f8").tofile(f"{out_dir}/sinkhorn_64x32.f64")
    a256 = np.full(256, 1 / 256)
    a32 = np.full((64, 32), 1 / 32)
    cost, iters = np_sinkhorn_log(a256, a256, c256, SINKHORN_EPS, SINKHORN_TOL)
    results["sinkhorn_256_numpy_cost"], results["sinkhorn_256_numpy_iterations"] = float(cost), iters
    entries["sinkhorn_256x256/numpy"] = throughput(lambda: np_sinkhorn_log(a256, a256, c256, SINKHORN_EPS, SINKHORN_TOL))
    costs, iters = np_sinkhorn_log(a32, a32, batch, SINKHORN_EPS, SINKHORN_TOL)
    results["sinkhorn_64x32_numpy_first_cost"], results["sinkhorn_64x32_numpy_iterations"] = float(costs[0]), iters
    entries["sinkhorn_batch_64x32x32/numpy"] = throughput(lambda: np_sinkhorn_log(a32, a32, batch, SINKHORN_EPS, SINKHORN_TOL))
    print(f"sinkhorn: 256 {entries['sinkhorn_256x256/numpy']:.2f} ops/s, batch {entries['sinkhorn_batch_64x32x32/numpy']:.2f} ops/s", flush=True)

    rng = np.random.default_rng(3)
    conf = 0.1 + 0.9 * rng.random(1_000_000)
    acc = (rng.random(1_000_000) < conf * 0.95).astype(np.float64)
    entries["ece_1e6/numpy"] = throughput(lambda: np_ece(conf, acc))
    print(f"ece: {entries['ece_1e6/numpy']:.2f} ops/s", flush=True)

    with open(f"{out_dir}/baselines.json", "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
