#!/usr/bin/python3
"""Merges the rounds of bench/merging into bench/results/merging.json (schema: bench/RESULTS.md).

Per case each side keeps its best round (interference only slows a run down): the least ms per batch
and, separately, the least process CPU ms per batch. `results` compares ours with the PyTorch reference
(throughput in batches/s, speedup = ours / PyTorch); `ratios` gives each merged prediction as a multiple
of one plain forward of the same model on the same side: best ms over best ms (and CPU ms), and, for ours,
the median over all rounds of ratios measured in alternating pairs of short windows (both sides of each
ratio under the same load), on which issue 12's targets are judged.
usage: combine.py WORK_DIR OUT_FILE COMMAND THREADS ROUNDS
"""
import datetime
import glob
import json
import os
import platform
import subprocess
import sys

PAIRS = ("digits_cnn", "breast_cancer_mlp")
# (result name, our case, PyTorch case, what)
COMPARED = (
    ("t3_predict", "t3_predict", "reference_t3",
     "T3 end to end: both forwards, JS, lambda per sample, merged prediction (ours: one mixed pass; PyTorch: 64 materialised weight sets)"),
    ("t3_merged_pass", "mixed_pass", "materialised_per_sample",
     "the per-sample merged pass alone at T3's weights (ours: both parameter sets in one pass; PyTorch: 64 weight sets, 64 single-row forwards)"),
    ("t3_batch_predict", "t3_batch_predict", "reference_t3_batch", "T3_B end to end: both forwards, JS, mean lambda, merge once, one forward"),
    ("t3_batch_merged_pass", "t3_batch_merged_forward", "merge_once_forward", "T3_B's merged pass alone: merge once, one forward"),
    ("plain_forward", "plain_forward", "plain_forward", "one forward of the generalist"),
    ("materialised_per_sample", "materialised_per_sample", "materialised_per_sample",
     "the reference way on both runtimes: 64 weight sets, 64 single-row forwards"),
)
# (ratio name, side, case, target, what)
RATIOS = (
    ("t3_merged_pass_over_plain_forward", "ours", "mixed_pass", 2.2, "issue 12's 'merged pass' target"),
    ("t3_predict_over_plain_forward", "ours", "t3_predict", 2.2, "end to end, with both models' logits for the JS (one side-by-side pass)"),
    ("t3_batch_merged_pass_over_plain_forward", "ours", "t3_batch_merged_forward", 1.1, "issue 12's T3_B target (merge once, one forward)"),
    ("t3_batch_predict_over_plain_forward", "ours", "t3_batch_predict", 1.1, "end to end, with both models' logits for the JS (one side-by-side pass)"),
    ("reference_t3_merged_pass_over_plain_forward", "pytorch", "materialised_per_sample", None, "PyTorch reference, for comparison"),
    ("reference_t3_over_plain_forward", "pytorch", "reference_t3", None, "PyTorch reference, for comparison"),
)


def best(pattern):
    """{case: {"ms": least ms, "cpu_ms": least CPU ms, "rounds_ms": [per round]}} and the last file's metadata."""
    out, meta = {}, {}
    for path in sorted(glob.glob(pattern)):
        data = json.load(open(path))
        for key, v in data["entries"].items():
            e = out.setdefault(key, {"ms": float("inf"), "cpu_ms": float("inf"), "rounds_ms": []})
            e["ms"] = min(e["ms"], v["ms_per_batch"])
            e["cpu_ms"] = min(e["cpu_ms"], v["cpu_ms_per_batch"])
            e["rounds_ms"].append(round(v["ms_per_batch"], 4))
        meta = data
    return out, meta


def paired(pattern):
    """{case: (all paired wall ratios, all paired CPU ratios)} over every round."""
    out = {}
    for path in sorted(glob.glob(pattern)):
        for key, v in json.load(open(path)).get("paired_ratios", {}).items():
            wall, cpu = out.setdefault(key, ([], []))
            wall.extend(v["wall"])
            cpu.extend(v["cpu"])
    return out


def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def main(work, out_file, command, threads, rounds_run):
    ours, ours_meta = best(os.path.join(work, "ours_*.json"))
    ours_paired = paired(os.path.join(work, "ours_*.json"))
    torch, torch_meta = best(os.path.join(work, "baselines_*.json"))
    sides = {"ours": ours, "pytorch": torch}
    baseline_name = f"PyTorch {torch_meta.get('torch', '?')} CPU (materialised per-sample weights)"
    results, ratios = [], []
    for pair in PAIRS:
        for name, our_case, torch_case, what in COMPARED:
            o, t = ours.get(f"{pair}/{our_case}"), torch.get(f"{pair}/{torch_case}")
            if not o or not t:
                continue
            results.append({"name": f"{name}_{pair}_64", "unit": "batches/s", "ours": round(1e3 / o["ms"], 2),
                            "ours_ms_per_batch": round(o["ms"], 4), "ours_rounds_ms": o["rounds_ms"],
                            "baseline_name": baseline_name, "baseline": round(1e3 / t["ms"], 2),
                            "baseline_ms_per_batch": round(t["ms"], 4), "baseline_rounds_ms": t["rounds_ms"],
                            "speedup": round(t["ms"] / o["ms"], 3),
                            "ours_cpu_ms_per_batch": round(o["cpu_ms"], 4), "baseline_cpu_ms_per_batch": round(t["cpu_ms"], 4),
                            "cpu_speedup": round(t["cpu_ms"] / o["cpu_ms"], 3), "what": what})
        for name, side, case, target, what in RATIOS:
            c, plain = sides[side].get(f"{pair}/{case}"), sides[side].get(f"{pair}/plain_forward")
            if not c or not plain:
                continue
            r = {"name": f"{name}_{pair}_64", "side": side, "ms_per_batch": round(c["ms"], 4),
                 "plain_forward_ms_per_batch": round(plain["ms"], 4), "ratio": round(c["ms"] / plain["ms"], 3),
                 "cpu_ratio": round(c["cpu_ms"] / plain["cpu_ms"], 3), "what": what}
            pr = ours_paired.get(f"{pair}/{case}") if side == "ours" else None
            if pr:
                r.update({"paired_median_ratio": round(median(pr[0]), 3), "paired_median_cpu_ratio": round(median(pr[1]), 3),
                          "paired_windows": len(pr[0]), "paired_ratio_range": [round(min(pr[0]), 3), round(max(pr[0]), 3)]})
            if target is not None:
                # judged on the paired median (both sides of each ratio under the same load) where there is one
                judged = r.get("paired_median_ratio", r["ratio"])
                judged_cpu = r.get("paired_median_cpu_ratio", r["cpu_ratio"])
                r.update({"target": target, "met": judged <= target, "met_cpu": judged_cpu <= target})
            ratios.append(r)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    java_bin = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    java = subprocess.run([java_bin, "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    load = {k: open(os.path.join(work, f"load_{k}.txt")).read().strip() for k in ("before", "after")}
    kept = [json.loads(l) for l in open(os.path.join(work, "load.jsonl"))] if os.path.exists(os.path.join(work, "load.jsonl")) else []
    doc = {"suite": "merging", "machine": f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, {java}",
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"), "command": command,
           "results": results, "ratios": ratios,
           "notes": {"threads": f"{threads} intra-op thread(s) on both sides (DJL intra-op {threads}, inter-op 1; PyTorch "
                                f"reported {torch_meta.get('torch_threads', '?')})",
                     "timing": f"{ours_meta.get('timing', '?')} per case on both sides; best round of {rounds_run}, "
                               "alternating ours / PyTorch; *_cpu_*: least process CPU ms per batch (the JVM's JIT and GC "
                               "threads included), which a loaded machine disturbs less than wall time",
                     "batch": "64 held-out rows (the test part of the split the built-in models were trained on)",
                     "models": "digits_cnn: built-in digits-cnn-generalist / digits-cnn-expert (300 steps); breast_cancer_mlp: "
                               "built-in breast-cancer-mlp-teacher and a benchmark-only expert of its architecture "
                               "(fine-tuned 100 steps on the training rows with mean radius below the median)",
                     "method_parameters": "t3 and t3_batch with the service's defaults (gamma 0.5, lambda in [0, 1], nats, "
                                          "lambda weights the generalist; t3_batch averages lambda)",
                     "check": {"what": "before timing, the PyTorch script recomputes our JS and lambda from its own forwards "
                                       "and our T3 / T3_B probabilities at our weights, within float32 bounds derived in "
                                       "merging_baseline.py", **torch_meta.get("checks", {})},
                     "load_average_before": load["before"], "load_average_after": load["after"],
                     "quiet_groups": {"tries": len(kept), "kept": sum(1 for k in kept if k.get("kept") == "true"),
                                      "noisy_kept": sum(1 for k in kept if k.get("kept") == "noisy"),
                                      "max_other_cores_during_kept": max([float(k["other_cores_during"]) for k in kept
                                                                          if k.get("kept") != "false"] or [0])}}}
    with open(out_file, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    for r in results:
        print(f"{r['name']:<42} ours {r['ours_ms_per_batch']:9.4f} ms  torch {r['baseline_ms_per_batch']:9.4f} ms  "
              f"x{r['speedup']}  (CPU x{r['cpu_speedup']})")
    for r in ratios:
        target = f"  target {r['target']}: {'met' if r['met'] else 'not met'} (CPU: {'met' if r['met_cpu'] else 'not met'})" \
            if "target" in r else ""
        pm = f", paired median {r['paired_median_ratio']:.2f}x (CPU {r['paired_median_cpu_ratio']:.2f}x)" if "paired_median_ratio" in r else ""
        print(f"{r['name']:<58} best/best {r['ratio']:6.2f}x plain (CPU {r['cpu_ratio']:.2f}x){pm}{target}")


if __name__ == "__main__":
    main(*sys.argv[1:6])
