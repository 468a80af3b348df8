#!/usr/bin/python3
"""Merges JMH results and baseline throughputs into bench/results/<suite>.json (schema: bench/RESULTS.md).

usage: combine_results.py SUITE WORK_DIR OUT_JSON COMMAND
  WORK_DIR holds jmh-*.json (one per group and round) and baselines.json. "ours" is the best JMH
  iteration over all rounds and "baseline" the best baseline window, so that interference from
  other work on a shared machine (which only slows runs down) biases neither side.
"""
import glob
import datetime
import json
import os
import platform
import subprocess
import sys

# JMH benchmark (method, shape param) -> result name; baseline keys are "<result name>/<tool>"
DIVERGENCE = {
    ("LogitsBenchmark.klLogits", "64x32000"): "kl_logits_64x32000",
    ("LogitsBenchmark.jsLogits", "64x32000"): "js_logits_64x32000",
    ("LogitsBenchmark.jsdLogits", "64x32000"): "jsd_logits_64x32000",
    ("LogitsBenchmark.klLogits", "8x152064"): "kl_logits_8x152064",
    ("LogitsBenchmark.jsLogits", "8x152064"): "js_logits_8x152064",
    ("LogitsBenchmark.jsdLogits", "8x152064"): "jsd_logits_8x152064",
    ("SinkhornBenchmark.sinkhorn256Default", None): "sinkhorn_256x256",
    ("SinkhornBenchmark.sinkhorn256Plain", None): "sinkhorn_256x256_no_eps_scaling",
    ("SinkhornBenchmark.sinkhornBatch64x32Default", None): "sinkhorn_batch_64x32x32",
    ("CalibrationBenchmark.ece1e6", None): "ece_1e6",
}
# a result measured against a baseline entry of another name
SAME_WORK = {"sinkhorn_256x256_no_eps_scaling": "sinkhorn_256x256"}


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def machine():
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    java = subprocess.run([os.path.join(os.environ.get("JAVA_HOME", ""), "bin", "java") if os.environ.get("JAVA_HOME") else "java",
                           "-version"], capture_output=True, text=True).stderr.splitlines()
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, {java[0] if java else 'java ?'}"


def main():
    suite, work, out_file, command = sys.argv[1:5]
    with open(os.path.join(work, "baselines.json")) as f:
        baselines = json.load(f)
    names = DIVERGENCE if suite == "divergence" else {}
    best = {}
    averages = {}
    units = {}
    for path in sorted(glob.glob(os.path.join(work, "jmh-*.json"))):
        with open(path) as f:
            runs = json.load(f)
        for run in runs:
            method = run["benchmark"].rsplit(".", 2)
            key = (method[-2] + "." + method[-1], (run.get("params") or {}).get("shape"))
            name = names.get(key)
            if name is None:
                continue
            iterations = [score for fork in run["primaryMetric"]["rawData"] for score in fork]
            best[name] = max(best.get(name, 0.0), max(iterations))
            averages.setdefault(name, []).append(run["primaryMetric"]["score"])
            units[name] = run["primaryMetric"]["scoreUnit"]
    results = []
    for name in names.values():
        if name not in best:
            continue
        base_name = SAME_WORK.get(name, name)
        for tool in ("numpy", "torch"):
            baseline = baselines["entries"].get(f"{base_name}/{tool}")
            if baseline is None:
                continue
            results.append({
                "name": name,
                "unit": units[name],
                "ours": round(best[name], 3),
                "ours_average": round(sum(averages[name]) / len(averages[name]), 3),
                "baseline_name": {"numpy": f"numpy {baselines['numpy']} / scipy {baselines['scipy']}",
                                  "torch": f"PyTorch {baselines['torch']} CPU, {baselines['torch_threads']} threads"}[tool],
                "baseline": round(baseline, 3),
                "speedup": round(best[name] / baseline, 2),
            })
    out = {
        "suite": suite,
        "machine": machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "command": command,
        "results": results,
        "notes": {**{k: v for k, v in baselines.items() if k != "entries"},
                  "estimator": "best JMH iteration vs best baseline window, over interleaved rounds",
                  **{name: read_text(os.path.join(work, name)) for name in ("loadavg_before", "loadavg_after")}},
    }
    with open(out_file, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    width = max(len(r["name"]) for r in results) if results else 10
    for r in results:
        print(f"{r['name']:<{width}}  ours {r['ours']:>10.2f} {r['unit']}  {r['baseline_name'][:20]:<20} {r['baseline']:>10.2f}  x{r['speedup']}")


if __name__ == "__main__":
    main()
