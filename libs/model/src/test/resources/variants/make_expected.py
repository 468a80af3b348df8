#!/usr/bin/python3
"""Expected values of the dataset variants' corruptions, computed independently with numpy/scipy.

Run: /usr/bin/python3 make_expected.py > expected.json  (numpy 1.24, scipy 1.10).
Inputs are float32 values (as the Java side holds them), drawn here from fixed numpy seeds; every
random draw the corruptions need (normal draws, patch positions, masks, factors) is part of a case, so
the Java test feeds the same draws to its functions. Expected outputs are float64.
"""
import json

import numpy as np
from scipy.ndimage import gaussian_filter, gaussian_filter1d

rng = np.random.RandomState(20251206)


def image():
    # digit-like: mostly background (0), strokes in (0, 1]; values k/16 as the bundled digits have
    img = rng.randint(0, 17, size=(8, 8)).astype(np.float32) / np.float32(16)
    img[rng.rand(8, 8) < 0.4] = 0
    return img.astype(np.float32)


def f32list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


cases = {"blur": [], "noise": [], "occlusion": [], "contrast": [], "kernel": []}
for sigma in [0.5, 0.75, 1.0, 1.25, 1.5, 2.3]:
    # scipy's 1-D weights, recovered by filtering a unit impulse of length 2r+1 (independent of its internals)
    radius = int(4.0 * sigma + 0.5)
    impulse = np.zeros(2 * radius + 1)
    impulse[radius] = 1.0

    weights = gaussian_filter1d(impulse, sigma, mode="constant", cval=0.0, truncate=4.0)
    cases["kernel"].append({"sigma": sigma, "weights": [float(w) for w in weights[::-1]]})
    for _ in range(2):
        img = image()
        out = gaussian_filter(img.astype(np.float64), sigma, mode="constant", cval=0.0, truncate=4.0)
        cases["blur"].append({"sigma": sigma, "image": f32list(img), "expected": [float(v) for v in out.ravel()]})
for std in [0.1, 0.3, 0.5]:
    img = image()
    z = rng.randn(64)
    out = np.clip(img.astype(np.float64).ravel() + std * z, 0.0, 1.0)
    cases["noise"].append({"std": std, "image": f32list(img), "z": [float(v) for v in z], "expected": [float(v) for v in out.ravel()]})
for side, top, left in [(2, 0, 0), (3, 5, 2), (4, 1, 4), (6, 2, 0)]:
    img = image()
    out = img.astype(np.float64).copy()
    out[top:top + side, left:left + side] = 0.0
    cases["occlusion"].append({"side": side, "top": top, "left": left, "image": f32list(img), "expected": [float(v) for v in out.ravel()]})
for c in [0.75, 0.4, 0.15]:
    img = image()
    x = img.astype(np.float64)
    out = x.mean() + c * (x - x.mean())
    cases["contrast"].append({"factor": c, "image": f32list(img), "expected": [float(v) for v in out.ravel()]})

# tabular: features of very different scales, like the breast-cancer table (area ~ 1e3, smoothness ~ 1e-1)
scales = np.array([1e3, 20.0, 0.1, 1.0, 5e-3])
rows = (rng.rand(9, 5) * scales + scales).astype(np.float32)
x = rows.astype(np.float64)
mean = x.mean(axis=0)
std = x.std(axis=0, ddof=0)
tab = {"rows": [f32list(r) for r in rows], "mean": mean.tolist(), "std": std.tolist(), "noise": [], "scale": [], "impute": []}
for factor in [0.1, 0.5, 1.0]:
    z = rng.randn(5)
    tab["noise"].append({"factor": factor, "row": 3, "z": z.tolist(), "expected": (x[3] + factor * std * z).tolist()})
for spread in [0.05, 0.5]:
    factors = np.exp(spread * rng.randn(5))
    tab["scale"].append({"factors": factors.tolist(), "row": 5, "expected": (x[5] * factors).tolist()})
for mask in [[True, False, False, True, False], [False, True, True, True, True]]:
    out = np.where(mask, mean, x[7])
    tab["impute"].append({"missing": mask, "row": 7, "expected": out.tolist()})
cases["tabular"] = tab
print(json.dumps(cases, indent=1))
