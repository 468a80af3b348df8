#!/usr/bin/python3
"""PyTorch-CPU baseline for `bench/run.sh training` (Debian python3-torch).

The same two training steps as services/training's TrainingStepBenchmark.java, on the same
Llama decoder as bench/model/model_baseline.py (imported from there) and the same shapes:
  distill_kl_tiny: tiny-lm teacher forward (no grad) + student (hidden 32, 1 layer) forward,
                   token-level KL(teacher||student) over [8 x 63] rows, backward, clip 1.0, AdamW;
  fdpo_tiny:       tiny-lm policy on 8 chosen + 8 rejected sequences of 64 tokens (answer = last 16),
                   cached reference log-probs, DPO (reverse KL f-DPO) loss, backward, clip, AdamW.
Tokens/s = tokens of the batch per step; timing as TrainingStepBenchmark.throughput: 5 s of warm-up
(the JVM's JIT compilers need it to reach steady state), best of 5 windows, and the least process CPU
ms per step of any window.

usage: training_baseline.py OUT_DIR THREADS [TAG]   (writes OUT_DIR/baselines_TAG.json)
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "model"))
from model_baseline import Llama  # noqa: E402

BATCH, SEQ, ANSWER, VOCAB = 8, 64, 16, 259


WARM_UP_S = 5.0


def throughput(fn, warm_up_s=WARM_UP_S):
    """(best calls/s of 5 windows of >= 0.6 s, least process CPU ms per call of any window) after
    warm_up_s of warm-up: the loop of TrainingStepBenchmark.throughput."""
    start, calls = time.perf_counter(), 0
    while calls < 2 or time.perf_counter() - start < warm_up_s:
        fn()
        calls += 1
    best, cpu_per_call = 0.0, float("inf")
    for _ in range(5):
        calls, start, cpu_start = 0, time.perf_counter(), time.process_time()
        while calls < 2 or time.perf_counter() - start < 0.6:
            fn()
            calls += 1
        best = max(best, calls / (time.perf_counter() - start))
        cpu_per_call = min(cpu_per_call, (time.process_time() - cpu_start) * 1e3 / calls)
    return best, cpu_per_call


def init(model):
    for p in model.parameters():
        if p.dim() > 1:
            torch.nn.init.normal_(p, std=0.02)
    return model


def main(out_dir, threads, tag="all"):
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    entries, cpu_ms = {}, {}
    ids = torch.randint(0, 256, (BATCH, SEQ))
    mask = torch.ones(BATCH, SEQ, dtype=torch.int64)
    teacher = init(Llama(VOCAB, 64, 160, 2, 4, 2, False))
    student = init(Llama(VOCAB, 32, 64, 1, 2, 1, False))
    optimizer = torch.optim.AdamW(student.parameters(), lr=1e-4, weight_decay=0.01)

    def distill_step():
        with torch.no_grad():
            t = teacher(ids, mask)[:, :-1].reshape(-1, VOCAB)
        s = student(ids, mask)[:, :-1].reshape(-1, VOCAB)
        loss = F.kl_div(F.log_softmax(s, -1), F.log_softmax(t, -1), log_target=True, reduction="batchmean")
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        optimizer.step()
    rate, cpu_ms["distill_kl_tiny/torch"] = throughput(distill_step)
    entries["distill_kl_tiny/torch"] = rate * BATCH * SEQ

    policy = init(Llama(VOCAB, 64, 160, 2, 4, 2, False))
    policy_optimizer = torch.optim.AdamW(policy.parameters(), lr=1e-4, weight_decay=0.01)
    pair_ids = torch.randint(0, 256, (2 * BATCH, SEQ))
    pair_mask = torch.ones(2 * BATCH, SEQ, dtype=torch.int64)
    counted = torch.zeros(2 * BATCH, SEQ - 1)
    counted[:, SEQ - 1 - ANSWER:] = 1
    reference = torch.full((BATCH,), -40.0)

    def fdpo_step():
        logits = policy(pair_ids, pair_mask)[:, :-1]
        lp = torch.gather(F.log_softmax(logits, -1), 2, pair_ids[:, 1:].unsqueeze(-1)).squeeze(-1)
        seq = (lp * counted).sum(1)
        margin = (seq[:BATCH] - reference) - (seq[BATCH:] - reference)
        loss = -F.logsigmoid(0.1 * margin).mean()
        policy_optimizer.zero_grad(set_to_none=False)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        policy_optimizer.step()
    rate, cpu_ms["fdpo_tiny/torch"] = throughput(fdpo_step)
    entries["fdpo_tiny/torch"] = rate * 2 * BATCH * SEQ
    for k, v in entries.items():
        print(f"{k:<24} {v:12.1f} tokens/s  {cpu_ms[k]:8.2f} CPU ms/step", flush=True)
    with open(f"{out_dir}/baselines_{tag}.json", "w") as f:
        json.dump({"torch": torch.__version__, "torch_threads": torch.get_num_threads(), "entries": entries,
                   "cpu_ms_per_step": cpu_ms}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1, sys.argv[3] if len(sys.argv) > 3 else "all")
