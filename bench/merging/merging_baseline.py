#!/usr/bin/python3
"""PyTorch-CPU side of `bench/run.sh merging` (Debian python3-torch; see bench/RESULTS.md).

For each generalist / expert pair that services/merging's MergingBenchmark wrote a check file for
(WORK_DIR/check_<pair>.json: the two model folders, the batch of 64 rows, our T3 and T3_B outputs),
this script loads the same two safetensors files, ports libs/model's classifier forward (MLP, or the
8x8 CNN: conv 3x3 stride 1 pad 1, ReLU, conv 3x3 stride 2 pad 1, ReLU, flatten, linear) to
torch.nn.functional, and

1. checks, before timing anything, that it computes what we compute (bounds derived below);
2. times, in milliseconds per batch of 64, the reference code's way of doing T3 (Imam et al. 2025):
   materialise each sample's merged weights theta_i = w_i theta_g + (1 - w_i) theta_e and run that
   sample through its own weights:
     plain_forward            one forward of the generalist on the batch (the unit of the ratios);
     materialised_per_sample  the merged part alone: 64 merged weight sets, 64 single-row forwards;
     reference_t3             T3 end to end: both models' forwards on the batch, softmax, JS, lambda
                              per sample, then materialised_per_sample, softmax;
     merge_once_forward       T3_B's merged part: merge once at the batch weight, one forward;
     reference_t3_batch       T3_B end to end: both forwards, JS, mean lambda, merge once, forward.
   Merging is functional (a dict of tensors, no module copies, no load_state_dict): cheaper than
   rebuilding an nn.Module per sample, so the baseline is, if anything, favoured.

Timing: the loop of MergingBenchmark.time: 3 s of warm-up (>= 2 calls), then 5 windows of >= 0.5 s;
best window ms per call, least process CPU ms per call of any window, spread of the windows.

usage: merging_baseline.py WORK_DIR THREADS TAG   (writes WORK_DIR/baselines_TAG.json)
"""
import glob
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

WARM_UP_S, WINDOWS, WINDOW_S = 3.0, 5, 0.5
U = 2.0 ** -24  # float32 unit roundoff


def load_safetensors(folder):
    with open(os.path.join(folder, "model.safetensors"), "rb") as f:
        raw = f.read()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + header_len])
    base = 8 + header_len
    dtypes = {"F32": np.float32, "F64": np.float64, "F16": np.float16}
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(raw[base + start:base + end], dtype=dtypes[info["dtype"]]).astype(np.float32)
        out[key] = torch.from_numpy(array.reshape(info["shape"]).copy())
    return out


class Architecture:
    """libs/model's Classifier forward (ClassifierSpec's config.json) as a function of a parameter dict."""

    def __init__(self, folder):
        c = json.load(open(os.path.join(folder, "config.json")))
        self.type = c["model_type"]
        self.hidden = c["hidden_sizes"]
        self.side = c.get("image_size")
        self.channels = c.get("num_channels")

    def forward(self, p, x):
        if self.type == "mlp":
            h = x
            for i in range(len(self.hidden)):
                h = F.relu(F.linear(h, p[f"layers.{i}.weight"], p[f"layers.{i}.bias"]))
            return F.linear(h, p["head.weight"], p["head.bias"])
        b = x.shape[0]
        h = x.reshape(b, self.channels, self.side, self.side)
        h = F.relu(F.conv2d(h, p["conv1.weight"], p["conv1.bias"], stride=1, padding=1))
        h = F.relu(F.conv2d(h, p["conv2.weight"], p["conv2.bias"], stride=2, padding=1))
        return F.linear(h.reshape(b, -1), p["head.weight"], p["head.bias"])

    def fan_ins(self, p):
        names = [f"layers.{i}.weight" for i in range(len(self.hidden))] if self.type == "mlp" else ["conv1.weight", "conv2.weight"]
        return [p[n].numel() // p[n].shape[0] for n in names + ["head.weight"]]


def merge(g, e, w):
    return {k: w * g[k] + (1.0 - w) * e[k] for k in g}


def js_torch(zg, ze):
    """JS(p_g || p_e) per row in nats, as the reference code computes it: H(m) - (H(p_g) + H(p_e)) / 2."""
    pg, pe = torch.softmax(zg, -1), torch.softmax(ze, -1)
    m = 0.5 * (pg + pe)
    ent = torch.special.entr
    return ent(m).sum(-1) - 0.5 * (ent(pg).sum(-1) + ent(pe).sum(-1))


def js_float64(zg, ze):
    def softmax(z):
        z = z - z.max(-1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(-1, keepdims=True)

    def entropy(p):
        return -np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0).sum(-1)

    pg, pe = softmax(zg.astype(np.float64)), softmax(ze.astype(np.float64))
    return entropy(0.5 * (pg + pe)) - 0.5 * (entropy(pg) + entropy(pe))


class Coefficient:
    """T3's lambda(JS) = lambda_min + (lambda_max - lambda_min) sigmoid(gamma JS), from the parameters our side reports."""

    def __init__(self, params):
        self.gamma = float(params["gamma"])
        self.lmin, self.lmax = float(params["lambda_min"]), float(params["lambda_max"])
        self.bits = params["log_base"] == "bits"
        self.generalist_side = params["lambda_weights"] == "generalist"

    def js_unit(self, js_nats):
        return js_nats / math.log(2) if self.bits else js_nats

    def lam(self, js):
        return self.lmin + (self.lmax - self.lmin) * torch.sigmoid(self.gamma * js)

    def generalist_weight(self, lam):
        return lam if self.generalist_side else 1.0 - lam


def softmax64(z):
    z = z.astype(np.float64) - z.max(-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(-1, keepdims=True)


def check(name, arch, g, e, x, c, coef):
    """Our outputs against this port, within float32 rounding bounds (derivation inline); returns the measured gaps.

    Logit bound. Both sides evaluate the same real function in float32 and differ only in rounding
    (and summation order). Per layer of fan-in n, each side rounds each merged weight (w and 1 - w
    rounded to float32, w a, (1 - w) b, their sum: at most 5 roundings; ours instead mixes the two
    layer outputs, 3 roundings) and accumulates n products plus the bias: |error| <= (n + 5) u times
    the sum of |terms|; the two sides differ by at most twice that. Later layers carry it on at most
    through |W| (ReLU is 1-Lipschitz), so |dz| <= sum_l 2 (n_l + 5) u * A, with A the float64 forward
    of max(|W_g|, |W_e|) (biases included) on |x|, which bounds every propagated sum of |terms|.
    Probabilities: sum_j |d p_i / d z_j| = 2 p_i (1 - p_i) <= 1/2, so |dp| <= max_c |dz_c| / 2.
    The plain forwards (for the JS) obey the same bound (fewer roundings).

    JS bound. With C classes and z the logits of p: sum_j |dH(p)/dz_j| = sum_j p_j |log p_j + H| <= 2 H(p);
    sum_j |dH(m)/dz_j| = sum_k p_k |log m_k| <= H(p) + ln 2 (m_k >= p_k / 2). So JS = H(m) - (H(p_g) +
    H(p_e)) / 2 moves by at most (2 ln C + ln 2) (max|dz_g| + max|dz_e|) nats (mean value theorem, the
    bound holding for every p); both sides compute JS in float64 from float32 logits (1e-12 covers that
    arithmetic). lambda moves by at most (lambda_max - lambda_min) gamma / 4 times the JS's change.
    """
    with torch.no_grad():
        xt = torch.tensor(x, dtype=torch.float32)
        absmax = {k: torch.maximum(g[k].abs(), e[k].abs()).double() for k in g}
        a = arch.forward(absmax, xt.abs().double()).numpy()  # float64: ReLU is the identity on these non-negative values
        stages = sum(2.0 * (n + 5) for n in arch.fan_ins(g))
        dz = stages * U * a.max(-1)  # per sample, bound on max_c |dz|
        classes = a.shape[1]

        zg, ze = arch.forward(g, xt).numpy(), arch.forward(e, xt).numpy()
        js = coef.js_unit(js_float64(zg, ze))
        js_bound = (2 * math.log(classes) + math.log(2)) * 2 * dz + 1e-12
        js_bound = coef.js_unit(js_bound)
        lam_bound = (coef.lmax - coef.lmin) * coef.gamma / 4 * js_bound
        lam = coef.lam(torch.tensor(js)).numpy()
        gaps = {}
        for key, mine, ours, bound in (("js", js, np.array(c["t3_js"]), js_bound),
                                       ("lambda", lam, np.array(c["t3_lambda"]), lam_bound)):
            gap = np.abs(mine - ours)
            if np.any(gap > bound):
                i = int(np.argmax(gap - bound))
                raise SystemExit(f"{name}: {key} of sample {i}: ours {ours[i]!r}, PyTorch {mine[i]!r}, bound {bound[i]:.3g}")
            gaps[key] = float(gap.max())
        w_ours = np.array(c["t3_generalist_weight"])
        # the merged outputs are compared at our weights, so that they test the merge and not the JS again
        mat = np.stack([arch.forward(merge(g, e, float(w_ours[i])), xt[i:i + 1])[0].numpy() for i in range(len(x))])
        p_mat = softmax64(mat)
        for key, mine, ours in (("t3_probabilities", p_mat, np.array(c["t3_probabilities"])),
                                ("t3_batch_probabilities",
                                 softmax64(arch.forward(merge(g, e, float(c["t3_batch_generalist_weight"])), xt).numpy()),
                                 np.array(c["t3_batch_probabilities"]))):
            gap = np.abs(mine - ours).max(-1)
            if np.any(gap > dz / 2):
                i = int(np.argmax(gap - dz / 2))
                raise SystemExit(f"{name}: {key} of sample {i} differ by {gap[i]:.3g} > bound {dz[i] / 2:.3g}")
            gaps[key] = float(gap.max())
        w_batch = float(np.mean(coef.generalist_weight(lam)))
        gaps["t3_batch_weight"] = abs(w_batch - c["t3_batch_generalist_weight"])
        if gaps["t3_batch_weight"] > lam_bound.max():
            raise SystemExit(f"{name}: T3_B weight ours {c['t3_batch_generalist_weight']!r}, PyTorch {w_batch!r}")
        bounds = {"probabilities_max_bound": float((dz / 2).max()), "lambda_max_bound": float(lam_bound.max())}
    return gaps, bounds


def timed(fn):
    start, calls = time.perf_counter(), 0
    while calls < 2 or time.perf_counter() - start < WARM_UP_S:
        fn()
        calls += 1
    ms, cpu = [], float("inf")
    for _ in range(WINDOWS):
        calls, start, cpu_start = 0, time.perf_counter(), time.process_time()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= WINDOW_S and calls >= 2:
                break
        ms.append(elapsed * 1e3 / calls)
        cpu = min(cpu, (time.process_time() - cpu_start) * 1e3 / calls)
    return {"ms_per_batch": min(ms), "cpu_ms_per_batch": cpu, "window_spread_ms": max(ms) - min(ms)}


def main(work, threads, tag):
    torch.set_num_threads(int(threads))
    torch.set_num_interop_threads(1)
    entries, checks = {}, {}
    for path in sorted(glob.glob(os.path.join(work, "check_*.json"))):
        c = json.load(open(path))
        name = c["pair"]
        arch = Architecture(c["generalist_dir"])
        if Architecture(c["expert_dir"]).__dict__ != arch.__dict__:
            raise SystemExit(f"{name}: the two models' architectures differ")
        g, e = load_safetensors(c["generalist_dir"]), load_safetensors(c["expert_dir"])
        coef = Coefficient(c["t3_parameters"])
        x = np.array(c["inputs"], dtype=np.float32)
        gaps, bounds = check(name, arch, g, e, x, c, coef)
        checks[name] = {"max_gaps": gaps, **bounds}
        print(f"{name}: checked against ours: " + ", ".join(f"{k} {v:.3g}" for k, v in gaps.items())
              + f" (bounds: probabilities {bounds['probabilities_max_bound']:.3g}, lambda {bounds['lambda_max_bound']:.3g})")

        xt = torch.tensor(x)
        w_fixed = [float(v) for v in c["t3_generalist_weight"]]
        w_batch = float(c["t3_batch_generalist_weight"])

        def materialised(weights):
            return torch.cat([arch.forward(merge(g, e, weights[i]), xt[i:i + 1]) for i in range(len(weights))])

        def reference_t3():
            zg, ze = arch.forward(g, xt), arch.forward(e, xt)
            lam = coef.lam(coef.js_unit(js_torch(zg, ze)))
            return torch.softmax(materialised(coef.generalist_weight(lam).tolist()), -1)

        def reference_t3_batch():
            zg, ze = arch.forward(g, xt), arch.forward(e, xt)
            w = float(coef.generalist_weight(coef.lam(coef.js_unit(js_torch(zg, ze)))).mean())
            return torch.softmax(arch.forward(merge(g, e, w), xt), -1)

        cases = {
            "plain_forward": lambda: arch.forward(g, xt),
            "materialised_per_sample": lambda: materialised(w_fixed),
            "reference_t3": reference_t3,
            "merge_once_forward": lambda: arch.forward(merge(g, e, w_batch), xt),
            "reference_t3_batch": reference_t3_batch,
        }
        with torch.no_grad():
            ref = reference_t3().numpy()
            checks[name]["reference_t3_own_lambda_max_probability_gap"] = float(np.abs(ref - np.array(c["t3_probabilities"])).max())
            for case, fn in cases.items():
                entries[f"{name}/{case}"] = r = timed(fn)
                print(f"{name:<18} {case:<24} {r['ms_per_batch']:9.4f} ms/batch (CPU {r['cpu_ms_per_batch']:9.4f} ms)")
    if not entries:
        raise SystemExit(f"no check_*.json in {work}: run MergingBenchmark first")
    with open(os.path.join(work, f"baselines_{tag}.json"), "w") as f:
        json.dump({"entries": entries, "checks": checks, "torch": torch.__version__, "numpy": np.__version__,
                   "torch_threads": torch.get_num_threads()}, f, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:4])
