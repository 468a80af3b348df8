#!/usr/bin/python3
"""Turns the load generator's outcomes into bench/results/inference.json, in the results schema of
bench/run.sh (see bench/RESULTS.md): suite, machine, date, command, results[{name, unit, ours,
baseline_name, baseline, speedup}], notes.

usage: combine.py WORK_DIR OUT_JSON COMMAND
reads WORK_DIR/direct_*.json (embedded server in-process, batching on and off), and when present
platform_grpc_*.json, service_*.json and gateway_*.json (the platform's model server, the inference
service and the gateway). Each figure is the best round: highest tokens/s, lowest latency.
"""
import datetime
import glob
import json
import os
import platform
import subprocess
import sys

BATCHED = "tiny-lm__decode"
UNBATCHED = "tiny-lm-direct__decode"


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


def best(work, pattern):
    """(target, concurrency) -> best outcome over the rounds: max tokens/s, min p50 and p99."""
    out = {}
    for path in sorted(glob.glob(os.path.join(work, pattern))):
        with open(path) as f:
            for o in json.load(f):
                key = (o["target"], o["concurrency"])
                b = out.setdefault(key, dict(o))
                b["tokens_per_s"] = max(b["tokens_per_s"], o["tokens_per_s"])
                b["p50_ms"] = min(b["p50_ms"], o["p50_ms"])
                b["p99_ms"] = min(b["p99_ms"], o["p99_ms"])
                b["errors"] = max(b.get("errors", 0), o.get("errors", 0))
    return out


def throughput(name, ours, baseline_name, baseline):
    return {"name": name, "unit": "tokens/s", "ours": round(ours, 2), "baseline_name": baseline_name,
            "baseline": round(baseline, 2), "speedup": round(ours / baseline, 2)}


def latency(name, ours_ms, baseline_name, baseline_ms):
    # a latency: speedup = baseline / ours so that above 1 still means ours is better
    return {"name": name, "unit": "ms (latency, lower is better)", "ours": round(ours_ms, 2), "baseline_name": baseline_name,
            "baseline": round(baseline_ms, 2), "speedup": round(baseline_ms / ours_ms, 2)}


def main():
    work, out_file, command = sys.argv[1:4]
    direct = best(work, "direct_*.json")
    results = []
    off = "same embedded server, same model, direct sequence strategy (each decode step executes alone)"
    for c in (1, 8, 32):
        on_o, off_o = direct.get((BATCHED, c)), direct.get((UNBATCHED, c))
        if not on_o or not off_o:
            continue
        results.append(throughput(f"batching_gain_c{c}", on_o["tokens_per_s"], off, off_o["tokens_per_s"]))
        results.append(latency(f"batching_p50_c{c}", on_o["p50_ms"], off, off_o["p50_ms"]))
        results.append(latency(f"batching_p99_c{c}", on_o["p99_ms"], off, off_o["p99_ms"]))

    platform_grpc = best(work, "platform_grpc_*.json")
    notes_service = "not measured in this run (see skipped)"
    for label, pattern in (("service", "service_*.json"), ("gateway", "gateway_*.json")):
        measured = best(work, pattern)
        for (target, c), o in sorted(measured.items(), key=lambda kv: kv[0][1]):
            base = platform_grpc.get(("platform-grpc", c))
            if not base:
                continue
            if label == "gateway":
                name = "service_overhead_p50" + ("" if c == 1 else f"_c{c}")
            else:
                name = f"service_only_overhead_p50_c{c}"
            results.append(latency(name, o["p50_ms"],
                                   "the platform's model server called directly over gRPC (same decode loop, same concurrency)",
                                   base["p50_ms"]))
            results.append(throughput(f"{label}_tokens_per_s_c{c}", o["tokens_per_s"],
                                      "the platform's model server called directly over gRPC", base["tokens_per_s"]))
            notes_service = "measured"

    skipped = ""
    skipped_path = os.path.join(work, "skipped.txt")
    if os.path.exists(skipped_path):
        with open(skipped_path) as f:
            skipped = f.read().strip()
    load = {}
    for when in ("before", "after"):
        path = os.path.join(work, f"load_{when}.txt")
        if os.path.exists(path):
            with open(path) as f:
                load[when] = f.read().strip()
    statistics = ""
    stats_path = os.path.join(work, "server_statistics.txt")
    if os.path.exists(stats_path):
        with open(stats_path) as f:
            statistics = f.read().strip()
    raw = {f"{t}@c{c}": o for pattern in ("direct_*.json", "platform_grpc_*.json", "service_*.json", "gateway_*.json")
           for (t, c), o in sorted(best(work, pattern).items())}
    out = {
        "suite": "inference",
        "machine": machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "command": command,
        "results": results,
        "notes": {
            "workload": "tiny-lm (byte-level Llama, 2 layers, hidden 64), 8 fixed prompts, greedy, exactly 32 generated tokens per "
                        "generation (end-of-sequence ignored on every path: the service is asked with ignoreEos, so each path generates the same tokens); closed loop: concurrency clients each run generations back to back "
                        "(24 per client at c=1, 8 at c=8, 4 at c=32) after a warm-up",
            "direct": "bench/inference InferenceBenchmark in one JVM: the embedded model server and TritonClient over a "
                      "loopback gRPC socket, the inference service's decode loop (prompt with sequence_start, then one "
                      "token per request, sequence_end on the last)",
            "batching_on": "tiny-lm__decode = RepositoryWriter.decodingConfig: sequence_batching oldest "
                           "{max_candidate_sequences 64, preferred_batch_size 32, max_queue_delay_microseconds 2000}",
            "batching_off": "tiny-lm-direct__decode: the same entry with the direct strategy",
            "units": "tokens/s: generated tokens over the load's wall time (higher is better, speedup = ours / baseline); "
                     "latency entries (p50/p99 per generation, ms): speedup = baseline / ours, so above 1 means ours is faster; "
                     "service_overhead_p50 = direct p50 / gateway p50 (1.0 = no overhead; >= 0.91 meets 'overhead <= 10%')",
            "rounds": "batching on and off alternate per concurrency in each round (which goes first alternates between rounds); each figure is the best round",
            "service": notes_service,
            "skipped": skipped,
            "server_statistics": statistics,
            "raw_best_per_target": raw,
            "load_average_1_5_15min": load,
        },
    }
    with open(out_file, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    for r in results:
        print(f"{r['name']:<34} ours {r['ours']:>10.2f}  baseline {r['baseline']:>10.2f} {r['unit']:<30} x{r['speedup']}")


if __name__ == "__main__":
    main()
