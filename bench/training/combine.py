#!/usr/bin/python3
"""Merges the rounds of bench/training into bench/results/training.json (schema: bench/RESULTS.md).

ours / baseline: the best round (interference only slows a run down); ours_average: mean of the rounds.
usage: combine.py WORK_DIR OUT_FILE COMMAND THREADS
"""
import datetime
import glob
import json
import os
import platform
import subprocess
import sys


def rounds(pattern, field="entries"):
    out = {}
    for path in sorted(glob.glob(pattern)):
        with open(path) as f:
            data = json.load(f)
        for key, value in data.get(field, {}).items():
            out.setdefault(key.split("/")[0], []).append(value)
        out["_meta"] = data
    return out


def main(work, out_file, command, threads, rounds_run="2"):
    ours = rounds(os.path.join(work, "ours_*.json"))
    torch = rounds(os.path.join(work, "baselines_*.json"))
    meta = torch.pop("_meta", {})
    ours.pop("_meta", None)
    ours_cpu = rounds(os.path.join(work, "ours_*.json"), "cpu_ms_per_step")
    torch_cpu = rounds(os.path.join(work, "baselines_*.json"), "cpu_ms_per_step")
    results = []
    ours_phases = rounds(os.path.join(work, "ours_*.json"), "phase_cpu_ms_per_step")
    torch_phases = rounds(os.path.join(work, "baselines_*.json"), "phase_cpu_ms_per_step")
    for name in ("distill_kl_tiny", "fdpo_tiny", "rlvr_grpo_tiny", "fdpg_tiny"):
        if name in ours and name in torch:
            best, base = max(ours[name]), max(torch[name])
            results.append({"name": name, "unit": "tokens/s", "ours": round(best, 1),
                            "ours_average": round(sum(ours[name]) / len(ours[name]), 1),
                            "baseline_name": "PyTorch " + meta.get("torch", "?") + " CPU", "baseline": round(base, 1),
                            "speedup": round(best / base, 3)})
            if name in ours_cpu and name in torch_cpu:
                ours_ms, base_ms = min(ours_cpu[name]), min(torch_cpu[name])
                results[-1].update({"ours_cpu_ms_per_step": round(ours_ms, 2), "baseline_cpu_ms_per_step": round(base_ms, 2),
                                    "cpu_speedup": round(base_ms / ours_ms, 3)})
            if name in ours_phases and name in torch_phases:
                # the round whose phases sum least (the least disturbed), per side
                ours_split = min(ours_phases[name], key=lambda p: sum(p.values()))
                base_split = min(torch_phases[name], key=lambda p: sum(p.values()))
                results[-1].update({"ours_main_thread_cpu_ms_per_phase": ours_split,
                                    "baseline_main_thread_cpu_ms_per_phase": base_split,
                                    "main_thread_cpu_speedup": round(sum(base_split.values()) / sum(ours_split.values()), 3)})
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    java = subprocess.run([os.path.join(os.environ.get("JAVA_HOME", ""), "bin", "java") if os.environ.get("JAVA_HOME") else "java",
                           "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    load = {k: open(os.path.join(work, f"load_{k}.txt")).read().strip() for k in ("before", "after")}
    doc = {"suite": "training", "machine": f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, {java}",
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"), "command": command,
           "results": results,
           "notes": {"threads": f"{threads} intra-op thread(s) on both sides (PyTorch reported "
                                f"{meta.get('torch_threads', '?')} via torch.get_num_threads()); ours: DJL intra-op "
                                f"{threads}, inter-op 1, common ForkJoinPool parallelism {int(threads) - 1} (+ caller) "
                                "for libs/divergence's row-parallel kernels",
                     "timing": "distillation and f-DPO: 5 s warm-up on both sides, then best of 5 windows of >= 0.6 s",
                     "cpu_time": "least process CPU ms per step of any window (the JVM's JIT and GC threads included), best "
                                 "round; cpu_speedup = baseline / ours: the comparison a loaded machine disturbs least", "rounds": f"{rounds_run}, alternating ours / PyTorch",
                     "load_average_before": load["before"], "load_average_after": load["after"],
                     "shapes": "batch 8 x 64 tokens (f-DPO: 8 chosen + 8 rejected x 64, answer = last 16 tokens)",
                     "paths": "ours: the trainers' code paths (distillation: hidden states, KL chunked through the heads "
                              "on the host with the step's divergence metrics; f-DPO: head on the predicting positions), "
                              "libs/model AdamW with clipping folded in; PyTorch: idiomatic eager code, F.kl_div on "
                              "log_softmax, clip_grad_norm_, torch.optim.AdamW",
                     "models": "tiny-lm config (2 layers, hidden 64, vocab 259) and tiny-lm-student (1 layer, hidden 32), random init",
                     "rl_steps": "rlvr_grpo_tiny: 4 prompts x G 8 answers of 8 tokens sampled with a KV cache (one batch of G rows "
                                 "per prompt, temperature 1), integer rewards, group advantages, pi_old and pi_ref log-probs, "
                                 "2 updates of the clipped objective (0.2 / 0.28) + 0.04 k3 KL, clip 1.0, AdamW; fdpg_tiny: 16 "
                                 "samples of 32 tokens from BOS on-policy, constraint 'contains 7', base and policy sequence "
                                 "log-probs, Z moving average, js pseudo-rewards less the leave-one-out baseline, importance-sampled metrics, "
                                 "update. Both on tiny-lm's trained weights (TinyAssets, standard budget) with its end token "
                                 "removed so every sample has exactly max-new-tokens tokens; the PyTorch script first checks its "
                                 "log-probs equal ours within the float32 bound. Tokens per step = generated + scored: "
                                 "rlvr 4*8*8 + (2+2)*4*8*15 = 2176, fdpg 16*32 + 2*16*33 = 1568. Timing: warm-up until the process "
                                 "has used 15 s of CPU, both sides (C2 still compiles the sampling loop after 5 s, and a "
                                 "loaded machine leaves it little CPU in a wall-clock warm-up), then best of 5 windows of "
                                 ">= 0.6 s",
                     "main_thread_cpu": "RL steps: CPU ms of the main thread per step and phase after the warm-up (libtorch and "
                                        "PyTorch compute on it with 1 intra-op thread; the JVM's JIT and GC threads excluded), the "
                                        "least disturbed round; main_thread_cpu_speedup = baseline / ours"}}
    names = {r["name"] for r in results}
    notes = doc["notes"]
    if not names & {"distill_kl_tiny", "fdpo_tiny"}:  # a TRAINING_CASES=rl run: the notes of the other steps do not apply
        for key in ("timing", "shapes", "paths", "models"):
            notes.pop(key)
    if not names & {"rlvr_grpo_tiny", "fdpg_tiny"}:
        for key in ("rl_steps", "main_thread_cpu"):
            notes.pop(key)
    with open(out_file, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    for r in results:
        cpu = f"   CPU/step {r['ours_cpu_ms_per_step']:.2f} vs {r['baseline_cpu_ms_per_step']:.2f} ms  x{r['cpu_speedup']}" \
            if "cpu_speedup" in r else ""
        main = f"   main-thread CPU x{r['main_thread_cpu_speedup']}" if "main_thread_cpu_speedup" in r else ""
        print(f"{r['name']:<18} ours {r['ours']:10.1f}  torch {r['baseline']:10.1f}  x{r['speedup']}{cpu}{main}")


if __name__ == "__main__":
    main(*sys.argv[1:6])
