"""Reference values for SinkhornLoss (SinKD, Cui et al. 2024).

Run from the repository root with numpy installed:
    python3 services/training/src/test/python/sinkd_reference.py
It rewrites services/training/src/test/resources/reference/sinkd.json. The formula is ALGORITHMS.md's
SinKD, as the paper's reference code computes it (its Sinkhorn.sinkhorn_loss):
    P_s = softmax(z_s / T), P_t = softmax(z_t / T)      rows of one problem (a block of B kept rows)
    W_ij = sum_k |P_s[i, k] - P_t[j, k]|                  torch.cdist(P_s, P_t, p=1)
    K = exp(-W / eps); `iterations` times: K /= K.sum(1); K /= K.sum(0)
    block loss = scale * sum_ij K_ij W_ij                 torch.sum(P * Wxy): not divided by B
Language models have more rows than one problem should hold: the platform takes the kept rows in
blocks of at most `block` rows and averages the block losses weighted by their row counts
(sum_b B_b L_b / sum_b B_b); with a single block that is the formula above exactly.
Gradients w.r.t. the student logits are central differences of this float64 function (h = 1e-6:
truncation about h^2 |f'''| / 6 < 1e-12, cancellation about 1e-16 |f| / h < 1e-9).
Inputs come from numpy's default_rng with fixed seeds and are written into the file, so the Java
test reads exactly the logits used here.
"""
import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parents[1] / "resources" / "reference" / "sinkd.json"


def softmax(z, t):
    a = z / t
    a = a - a.max(axis=1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)


def block_loss(teacher, student, t, eps, iterations, scale):
    ps = softmax(student, t)
    pt = softmax(teacher, t)
    w = np.abs(ps[:, None, :] - pt[None, :, :]).sum(axis=2)
    plan = np.exp(-w / eps)
    for _ in range(iterations):
        plan = plan / plan.sum(axis=1, keepdims=True)
        plan = plan / plan.sum(axis=0, keepdims=True)
    return scale * float((plan * w).sum())


def loss(teacher, student, mask, t, eps, iterations, scale, block):
    kept = [r for r in range(student.shape[0]) if mask[r]]
    total = 0.0
    for start in range(0, len(kept), block):
        rows = kept[start:start + block]
        total += len(rows) * block_loss(teacher[rows], student[rows], t, eps, iterations, scale)
    return total / len(kept)


def case(name, seed, rows, vocab, spread, mask, t, eps, iterations, scale, block):
    rng = np.random.default_rng(seed)
    teacher = rng.normal(0.0, spread, size=(rows, vocab)).astype(np.float32).astype(np.float64)
    student = rng.normal(0.0, spread, size=(rows, vocab)).astype(np.float32).astype(np.float64)
    value = loss(teacher, student, mask, t, eps, iterations, scale, block)
    h = 1e-6
    gradient = np.zeros_like(student)
    for i in range(rows):
        for k in range(vocab):
            up = student.copy()
            up[i, k] += h
            down = student.copy()
            down[i, k] -= h
            gradient[i, k] = (loss(teacher, up, mask, t, eps, iterations, scale, block)
                              - loss(teacher, down, mask, t, eps, iterations, scale, block)) / (2 * h)
    return {
        "name": name, "rows": rows, "vocab": vocab, "temperature": t, "epsilon": eps, "iterations": iterations,
        "scale": scale, "block": block, "mask": [bool(m) for m in mask],
        "teacher": [float(x) for x in teacher.ravel()], "student": [float(x) for x in student.ravel()],
        "loss": value, "gradient": [float(x) for x in gradient.ravel()],
    }


def main():
    cases = [
        # SinKD's own settings (T = 2, eps = 0.1, 20 iterations), one block of 4 rows
        case("standard", 11, 4, 6, 2.0, [True] * 4, 2.0, 0.1, 20, 1.0, 64),
        # an explicit temperature of 1 and a scale, one block
        case("temperature_one", 12, 5, 7, 1.5, [True] * 5, 1.0, 0.1, 20, 0.5, 64),
        # masked rows and blocks of 2 kept rows (2 + 2 + 1), averaged weighted by their sizes
        case("blocks_and_mask", 13, 7, 5, 2.0, [True, False, True, True, True, False, True], 2.0, 0.1, 20, 1.0, 2),
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"generator": "services/training/src/test/python/sinkd_reference.py",
                               "numpy": np.__version__, "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main()
