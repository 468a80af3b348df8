"""Metrics API throughput against the same work done locally with numpy (issue 11's benchmark).

JS divergence, token mean, of float32 teacher and student logits [64, 32000] (N(0, 4^2), seeded):
  service: POST /api/v1/evaluation/metrics/divergences/logits with the two matrices as a binary
           application/octet-stream body (little-endian float32), over one kept-alive HTTP connection,
           so each call includes sending 16 MB and the HTTP round trip;
  numpy:   log-softmax of both in float32, then scipy's jensenshannon arithmetic (rel_entr against the
           mixture), in this process, single-threaded as numpy is.
Both are timed the same way: 3 warm-up calls, then the best calls-per-second over 5 windows of >= 1 s.
The two results are checked to agree (float32 inputs: 1e-4 relative) before anything is timed.

usage: metrics_client.py BASE_URL OUT_JSON SIDE   (SIDE: service | numpy)
"""
import http.client
import json
import sys
import time
import urllib.parse

import numpy as np
import scipy
from scipy.special import rel_entr

ROWS, VOCAB = 64, 32000


def inputs():
    rng = np.random.default_rng(20261206)
    teacher = (rng.standard_normal((ROWS, VOCAB)) * 4).astype("<f4")
    student = (rng.standard_normal((ROWS, VOCAB)) * 4).astype("<f4")
    return teacher, student


def np_log_softmax(z):
    x = z - z.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def np_js(teacher, student):
    # float32 throughout, as the inputs are (the faster choice for numpy; float64 takes about twice as long)
    p = np.exp(np_log_softmax(teacher))
    q = np.exp(np_log_softmax(student))
    m = 0.5 * (p + q)
    return float(np.mean(0.5 * rel_entr(p, m).sum(axis=1) + 0.5 * rel_entr(q, m).sum(axis=1)))


def throughput(fn, windows=5, min_seconds=1.0, min_calls=3):
    for _ in range(3):
        fn()
    best = 0.0
    for _ in range(windows):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds and calls >= min_calls:
                break
        best = max(best, calls / elapsed)
    return best


def main():
    base, out_path, side = sys.argv[1], sys.argv[2], sys.argv[3]
    teacher, student = inputs()
    expected = np_js(teacher, student)
    if side == "numpy":
        ops = throughput(lambda: np_js(teacher, student))
        result = {"numpy_ops": ops, "numpy_value": expected, "numpy": np.__version__, "scipy": scipy.__version__}
    else:
        url = urllib.parse.urlparse(base)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        body = teacher.tobytes() + student.tobytes()
        path = ("/api/v1/evaluation/metrics/divergences/logits?divergence=js&shape=%d,%d&dtype=float32" % (ROWS, VOCAB))

        def call():
            connection.request("POST", path, body=body, headers={"Content-Type": "application/octet-stream"})
            response = connection.getresponse()
            text = response.read()
            if response.status != 200:
                raise SystemExit("service answered %d: %s" % (response.status, text[:300]))
            return json.loads(text)["mean"]

        value = call()
        if abs(value - expected) > 1e-4 * abs(expected):
            raise SystemExit("service JS %r differs from numpy's %r" % (value, expected))
        ops = throughput(call)
        result = {"service_ops": ops, "service_value": value, "numpy_value": expected}
    try:
        with open(out_path) as f:
            merged = json.load(f)
    except FileNotFoundError:
        merged = {}
    for key, value in result.items():
        merged[key] = max(value, merged.get(key, 0.0)) if key.endswith("_ops") else value
    with open(out_path, "w") as f:
        json.dump(merged, f, indent=2)
    print("%s: %.2f calls/s (JS %.6f)" % (side, ops, result.get("service_value", expected)), flush=True)


if __name__ == "__main__":
    main()
