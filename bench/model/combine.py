#!/usr/bin/python3
"""Merges ModelBenchmark's ours.json and model_baseline.py's baselines.json into
bench/results/model.json, in the results schema of bench/run.sh (see bench/RESULTS.md):
suite, machine, date, command, results[{name, unit, ours, ours_error, baseline_name, baseline,
speedup = ours / baseline throughput}], notes.

usage: combine.py WORK_DIR OUT_JSON COMMAND THREADS
(reads every WORK_DIR/ours_*.json and baselines_*.json; each side's best round per measurement)
"""
import datetime
import glob
import json
import os
import platform
import subprocess
import sys


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
    java_bin = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    java = subprocess.run([java_bin, "-version"], capture_output=True, text=True).stderr.splitlines()
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, {java[0] if java else 'java ?'}"


def main():
    work, out_file, command, threads = sys.argv[1:5]
    ours, baselines = {}, {"entries": {}, "cpu": {}}
    ours_cpu = {}
    for path in sorted(glob.glob(os.path.join(work, "ours_*.json"))):
        with open(path) as f:
            for name, r in json.load(f).items():
                if name not in ours or r["ours"] > ours[name]["ours"]:
                    ours[name] = r
                if "ours_cpu_ms_per_call" in r:
                    ours_cpu[name] = min(r["ours_cpu_ms_per_call"], ours_cpu.get(name, float("inf")))
    for path in sorted(glob.glob(os.path.join(work, "baselines_*.json"))):
        with open(path) as f:
            b = json.load(f)
        baselines["torch"], baselines["torch_threads"] = b["torch"], b["torch_threads"]
        for name, v in b["entries"].items():
            baselines["entries"][name] = max(v, baselines["entries"].get(name, 0))
        for name, v in b.get("cpu_ms_per_call", {}).items():
            baselines["cpu"][name] = min(v, baselines["cpu"].get(name, float("inf")))
    results = []
    for name, r in ours.items():
        base = baselines["entries"].get(f"{name}/torch")
        if base is None:
            continue
        results.append({
            "name": name,
            "unit": r["unit"],
            "ours": round(r["ours"], 3),
            "ours_error": round(r["ours_error"], 3),
            "baseline_name": f"PyTorch {baselines['torch']} CPU, {baselines['torch_threads']} threads",
            "baseline": round(base, 3),
            "speedup": round(r["ours"] / base, 2),
        })
        base_cpu = baselines["cpu"].get(f"{name}/torch")
        if name in ours_cpu and base_cpu is not None:
            results[-1].update({
                "ours_cpu_ms_per_call": round(ours_cpu[name], 2),
                "baseline_cpu_ms_per_call": round(base_cpu, 2),
                "cpu_speedup": round(base_cpu / ours_cpu[name], 2),
            })
    load = {}
    for when in ("before", "after"):
        path = os.path.join(work, f"load_{when}.txt")
        if os.path.exists(path):
            with open(path) as f:
                load[when] = f.read().strip()
    out = {
        "suite": "model",
        "machine": machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "command": command,
        "results": results,
        "notes": {
            "ours": f"libs/model on DJL 0.36.0 / libtorch 2.7.1 CPU, {threads} intra-op threads, fp32",
            "baseline": "bench/model/model_baseline.py: the same decoder written idiomatically in torch, same configs, "
                        "shapes, loss, AdamW and clipping, same timing loop",
            "torch": baselines["torch"],
            "torch_threads": baselines["torch_threads"],
            "load_average_1_5_15min": load,
            "cpu_time": "ours_cpu_ms_per_call / baseline_cpu_ms_per_call: least process CPU time per call of any "
                        "window (the JVM's JIT and GC threads included), best round; cpu_speedup = baseline / ours. "
                        "Load steals wall time far more than CPU time, so this is the steadier comparison on a shared machine",
            "timing": "warm-up (>= 2 calls and >= 1 s), then 5 windows of >= 0.6 s (and >= 2 calls) each, same loop both sides; "
                      "ours and the PyTorch baseline alternate case by case in two rounds (same load for both); "
                      "each figure is the best window of the best round, ours_error = half the spread of that round's windows",
            "configs": "tiny = byte-level LM (vocab 259, hidden 64, 2 layers, 4 heads / 2 kv), batch 8 x 128; "
                       "25m = vocab 32000, hidden 512, 3 layers, 8 heads / 4 kv, intermediate 1408, tied, batch 4 x 128",
        },
    }
    with open(out_file, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    for r in results:
        cpu = f"   CPU/call {r['ours_cpu_ms_per_call']:.1f} vs {r['baseline_cpu_ms_per_call']:.1f} ms  x{r['cpu_speedup']}" \
            if "cpu_speedup" in r else ""
        print(f"{r['name']:<18} ours {r['ours']:>12.2f} {r['unit']:<9} torch {r['baseline']:>12.2f}  x{r['speedup']}{cpu}")


if __name__ == "__main__":
    main()
