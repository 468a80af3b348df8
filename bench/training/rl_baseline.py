#!/usr/bin/python3
"""PyTorch-CPU baseline of the RL steps of `bench/run.sh training` (Debian python3-torch).

The same two steps as services/training's RlStepBenchmark.java, on the same weights (the tiny LM
folder that main writes: tiny-lm with no end token, so every sample has exactly max-new-tokens
tokens on both sides), the same shapes and the same counts, written the idiomatic eager-PyTorch way
(bench/model/model_baseline.py's Llama with its KV cache, torch.multinomial, torch.optim.AdamW):

  rlvr_grpo_tiny: 4 prompts "ab+cd=" x G = 8 answers of 8 tokens, each prompt's G rows sampled as one
                  KV-cache batch (temperature 1); integer rewards (first integer of the answer);
                  group-normalised advantages (sample std, eps 1e-4); pi_old and pi_ref token log-probs
                  (no grad); K = 2 updates of the clipped objective (eps 0.2 / 0.28, per-answer token
                  means) + 0.04 x k3 KL (log-ratio clamped to +-20) to the reference, backward, clip 1.0,
                  AdamW (lr 1e-5, weight decay 0.01; torch decays every parameter, the jobs' optimiser
                  only matrices: a few hundred norm weights, no measurable cost).
  fdpg_tiny:      16 samples of 32 tokens from BOS (on-policy, temperature 1); constraint "contains 7";
                  base and policy sequence log-probs; Z moving average (window 1024); js pseudo-reward
                  softplus(-log t) - log 2 with log t = log pi - log(P / Z) capped at +-80, less the
                  leave-one-out baseline (the other samples' importance-weighted mean reward);
                  importance-sampled KL / TV / JS (target || policy), KL (policy || base), entropy,
                  distinct-1/2; loss mean(-(w (r - b)) log pi), backward, clip, AdamW.

Tokens per step (both sides): generated + scored, scored = the sequences' tokens once per
teacher-forced pass: rlvr = P G N + (2 + K) P G (prompt + N), fdpg = n N + 2 n (1 + N).
Timing: warm-up until the process has used 15 s of CPU (as RlStepBenchmark), then training_baseline.throughput's
windows (best of 5 windows of >= 0.6 s, least process CPU ms per step).

Before timing, `check_parity` compares the reference's token log-probs of a fixed batch with the
values RlStepBenchmark wrote (OUT_DIR/rl_parity.json) within the float32 bound derived in
bench/evaluation/score_tokens.py's check: the two sides compute the same model.

usage: rl_baseline.py OUT_DIR THREADS MODEL_DIR [TAG]   (writes OUT_DIR/baselines_rl_TAG.json)
"""
import collections
import json
import math
import os
import re
import sys
import time

import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "model"))
sys.path.insert(0, os.path.join(here, "..", "evaluation"))
sys.path.insert(0, here)
from model_baseline import Llama  # noqa: E402
from score_tokens import FLOAT32_EPS, Llama as PortForBound, load_safetensors  # noqa: E402
from training_baseline import throughput  # noqa: E402

PROBLEMS = [("12+34=", 46), ("27+45=", 72), ("38+19=", 57), ("41+26=", 67)]
GROUP, RLVR_NEW_TOKENS, UPDATES = 8, 8, 2
CLIP_LOW, CLIP_HIGH, KL_COEFFICIENT, KL_CLAMP, ADV_EPS = 0.2, 0.28, 0.04, 20.0, 1e-4
FDPG_SAMPLES, FDPG_NEW_TOKENS, WINDOW, LOG_T_CAP = 16, 32, 1024, 80.0
RATE = 1e-5
WARM_UP_CPU_S = 15.0  # RlStepBenchmark.WARM_UP_CPU_NANOS: warm-up in process CPU time (the JVM's compiler needs CPU, not wall time)
FIRST_INTEGER = re.compile(r"-?\d+")


def load(model_dir):
    """model_baseline's Llama with the safetensors weights of model_dir (Hugging Face names mapped)."""
    c = json.load(open(os.path.join(model_dir, "config.json")))
    model = Llama(c["vocab_size"], c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"],
                  c["num_attention_heads"], c["num_key_value_heads"], c.get("tie_word_embeddings", False))
    state = {}
    for name, tensor in load_safetensors(model_dir).items():
        name = name.replace("model.", "", 1) if name.startswith("model.") else name
        name = name.replace("self_attn.", "").replace("mlp.", "")
        state[name] = tensor
    model.load_state_dict(state, strict=True)
    return model, c


def token_log_probs(model, ids, mask):
    """log p(x[t+1] | x[<=t]), [B, T-1]."""
    logits = model(ids, mask)[:, :-1]
    return torch.gather(F.log_softmax(logits, -1), 2, ids[:, 1:].unsqueeze(-1)).squeeze(-1)


def sample(model, prompt, n, new_tokens, generator):
    """n continuations of prompt [1, L] as one KV-cache batch: tokens [n, new_tokens], log q [n] (float64)."""
    with torch.no_grad():
        caches = [{} for _ in model.layers]
        length = prompt.shape[1]
        full = torch.ones(n, length + new_tokens, dtype=torch.int64)
        logits = model(prompt.expand(n, -1), full[:, :length], caches, 0)[:, -1]
        out = torch.empty(n, new_tokens, dtype=torch.int64)
        log_q = torch.zeros(n, dtype=torch.float64)
        for t in range(new_tokens):
            log_p = F.log_softmax(logits, -1)  # temperature 1
            pick = torch.multinomial(log_p.exp(), 1, generator=generator)
            out[:, t] = pick[:, 0]
            log_q += log_p.gather(1, pick)[:, 0].double()
            if t == new_tokens - 1:
                break
            logits = model(pick, full[:, :length + t + 1], caches, length + t)[:, -1]
    return out, log_q


def text(row):
    return bytes(int(t) for t in row if t < 256).decode("utf-8", errors="replace")


class MovingAverage:
    def __init__(self, window):
        self.values = collections.deque(maxlen=window)

    def add_all(self, values):
        self.values.extend(values)

    def mean(self, fallback):
        return sum(self.values) / len(self.values) if self.values else fallback


def distinct(rows, order):
    grams = [tuple(r[j:j + order]) for r in rows for j in range(len(r) - order + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


class Phases:
    """Main-thread CPU ms per step and phase (torch's one intra-op thread runs on the caller), counted only for
    the steps that start after the timing loop's warm-up: RlStepBenchmark.Phases."""

    def __init__(self, *names):
        self.names, self.seconds = names, [0.0] * len(names)
        self.steps, self.last, self.counting = 0, 0.0, False

    def step_starts(self):
        self.steps += 1 if self.counting else 0
        self.last = time.thread_time()

    def lap(self, phase):
        now = time.thread_time()
        if self.counting:
            self.seconds[phase] += now - self.last
        self.last = now

    def per_step_ms(self):
        return {n: round(s * 1e3 / self.steps, 2) if self.steps else 0.0 for n, s in zip(self.names, self.seconds)}


def timed(fn, phases):
    """RlStepBenchmark.throughput: warm-up for WARM_UP_CPU_S of process CPU time, then the windows."""
    start, calls = time.process_time(), 0
    while calls < 2 or time.process_time() - start < WARM_UP_CPU_S:
        fn()
        calls += 1
    phases.counting = True
    return throughput(fn, 0.0)


def check_parity(model, model_dir, parity_path):
    dump = json.load(open(parity_path))
    ids = torch.tensor(dump["ids"])
    with torch.no_grad():
        ours = token_log_probs(model, ids, torch.ones_like(ids))
        logits = model(ids, torch.ones_like(ids))
    # score_tokens.check's bound: |delta logit| <= N eps max|logit|, a log-softmax moves by at most 2 delta
    delta = PortForBound(model_dir).path_length(ids.shape[1]) * FLOAT32_EPS * float(logits.abs().max())
    tolerance = 2 * delta + 1e-5
    worst = float((ours - torch.tensor(dump["log_probs"])).abs().max())
    if worst > tolerance:
        raise SystemExit(f"parity: log-probs differ by {worst:.3g} > {tolerance:.3g}: not the same model")
    print(f"parity: {ids.numel() - ids.shape[0]} token log-probs equal RlStepBenchmark's within {worst:.2g} "
          f"(float32 bound {tolerance:.2g})", flush=True)


def main(out_dir, threads, model_dir, tag="all"):
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    entries, cpu_ms, phase_ms = {}, {}, {}
    reference, config = load(model_dir)
    reference.requires_grad_(False)
    check_parity(reference, model_dir, os.path.join(out_dir, "rl_parity.json"))
    bos = config["bos_token_id"]

    # ---- RLVR (GRPO) step
    policy, _ = load(model_dir)
    optimizer = torch.optim.AdamW(policy.parameters(), lr=RATE, weight_decay=0.01)
    prompts = [torch.tensor([[bos] + list(p.encode())]) for p, _ in PROBLEMS]
    prompt_length = prompts[0].shape[1]
    length = prompt_length + RLVR_NEW_TOKENS
    answers = len(PROBLEMS) * GROUP
    counted = torch.zeros(answers, length - 1)
    counted[:, prompt_length - 1:] = 1
    batch_mask = torch.ones(answers, length, dtype=torch.int64)
    generator = torch.Generator().manual_seed(7)
    reward_sum = [0.0, 0]
    phases = Phases("sampling", "scoring", "updates")

    def rlvr_step():
        phases.step_starts()
        rows, rewards = [], []
        for prompt, (_, expected) in zip(prompts, PROBLEMS):
            tokens, _ = sample(policy, prompt, GROUP, RLVR_NEW_TOKENS, generator)
            rows.append(torch.cat((prompt.expand(GROUP, -1), tokens), 1))
            for row in tokens.tolist():
                found = FIRST_INTEGER.search(text(row))
                rewards.append(1.0 if found and int(found.group()) == expected else 0.0)
        phases.lap(0)
        ids = torch.cat(rows)
        r = torch.tensor(rewards, dtype=torch.float64).view(len(PROBLEMS), GROUP)
        advantages = ((r - r.mean(1, keepdim=True)) / (r.std(1, keepdim=True) + ADV_EPS)).view(-1).float()
        reward_sum[0] += float(r.sum())
        reward_sum[1] += r.numel()
        with torch.no_grad():
            old = token_log_probs(policy, ids, batch_mask)
            ref = token_log_probs(reference, ids, batch_mask)
        phases.lap(1)
        entropy = float(-(old * counted).sum() / counted.sum())
        if not math.isfinite(entropy):
            raise SystemExit("non-finite entropy estimate")
        a = advantages[:, None]
        tokens_per_answer = counted.sum(1)
        for _ in range(UPDATES):
            log_policy = token_log_probs(policy, ids, batch_mask)
            ratio = (log_policy - old).exp()
            per_token = -torch.min(ratio * a, ratio.clamp(1 - CLIP_LOW, 1 + CLIP_HIGH) * a) * counted
            loss = (per_token.sum(1) / tokens_per_answer).mean()
            rd = ratio.detach()
            clipped = ((rd < 1 - CLIP_LOW) & (a < 0)) | ((rd > 1 + CLIP_HIGH) & (a > 0))
            float((clipped.float() * counted).sum() / counted.sum())  # the clip_ratio metric
            d = (log_policy - ref).clamp(-KL_CLAMP, KL_CLAMP)
            k3 = ((torch.exp(-d) - 1 + d) * counted).sum(1) / tokens_per_answer.clamp(min=1)
            term = k3.mean()
            float(term)  # the kl metric
            loss = loss + KL_COEFFICIENT * term
            optimizer.zero_grad(set_to_none=False)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            optimizer.step()
        phases.lap(2)

    rate, cpu_ms["rlvr_grpo_tiny/torch"] = timed(rlvr_step, phases)
    phase_ms["rlvr_grpo_tiny/torch"] = phases.per_step_ms()
    tokens = answers * RLVR_NEW_TOKENS + (2 + UPDATES) * answers * length
    entries["rlvr_grpo_tiny/torch"] = rate * tokens
    print(f"rlvr: mean reward {reward_sum[0] / reward_sum[1]:.3f} over {reward_sum[1]} answers", flush=True)

    # ---- f-DPG step
    policy, _ = load(model_dir)
    base = reference
    optimizer = torch.optim.AdamW(policy.parameters(), lr=RATE, weight_decay=0.01)
    n = FDPG_SAMPLES
    start = torch.tensor([[bos]])
    fdpg_mask = torch.ones(n, 1 + FDPG_NEW_TOKENS, dtype=torch.int64)
    baseline, partition = MovingAverage(WINDOW), MovingAverage(WINDOW)
    generator = torch.Generator().manual_seed(11)
    satisfied = [0, 0]
    log2 = math.log(2)
    phases = Phases("sampling", "scoring_loss_backward", "update")

    def fdpg_step():
        phases.step_starts()
        tokens, _ = sample(policy, start, n, FDPG_NEW_TOKENS, generator)
        phases.lap(0)
        ids = torch.cat((start.expand(n, -1), tokens), 1)
        with torch.no_grad():
            log_base = token_log_probs(base, ids, fdpg_mask).sum(1).double()
        rows = tokens.tolist()
        holds = torch.tensor(["7" in text(row) for row in rows])
        satisfied[0] += int(holds.sum())
        satisfied[1] += n
        log_target = torch.where(holds, log_base, torch.tensor(-math.inf, dtype=torch.float64))
        sequence = token_log_probs(policy, ids, fdpg_mask).sum(1)
        log_policy = sequence.detach().double()
        log_proposal = log_policy  # on-policy at temperature 1: q = pi
        partition.add_all(torch.exp((log_target - log_proposal).clamp(max=LOG_T_CAP)).tolist())
        z = partition.mean(0.0)
        distinct(rows, 1) + distinct(rows, 2)  # the distinct-n metrics
        if not z > 0:
            loss = sequence.mul(0).mean()
        else:
            log_z = math.log(z)
            log_p = log_target - log_z
            log_t = (log_policy - log_p).clamp(-LOG_T_CAP, LOG_T_CAP)
            rewards = F.softplus(-log_t) - log2
            importance = torch.exp((log_policy - log_proposal).clamp(max=LOG_T_CAP))
            # the job's baseline: the other samples' importance-weighted mean reward (leave-one-out)
            weighted = importance * rewards
            advantages = rewards - (weighted.sum() - weighted) / (importance.sum() - importance)
            baseline.add_all(rewards.tolist())
            float((rewards - advantages).mean())  # the baseline metric
            # the step's importance-sampled metrics (ImportanceSampledDivergences' formulas)
            w_p = torch.exp(log_p - log_proposal)
            w_pi = torch.exp(log_policy - log_proposal)
            log_mix = torch.logaddexp(log_p, log_policy) - log2
            float((w_pi * holds).mean())
            float(torch.where(holds, w_p * (log_p - log_policy), torch.zeros_like(w_p)).mean())
            float((w_p - w_pi).abs().mean() / 2)
            float((torch.where(holds, w_p * (log_p - log_mix), torch.zeros_like(w_p)) + w_pi * (log_policy - log_mix)).mean() / 2)
            float((w_pi * (log_policy - log_base)).mean())
            float((importance * -log_policy).mean())
            loss = (-(importance * advantages).float() * sequence).mean()
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        phases.lap(1)
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        optimizer.step()
        phases.lap(2)

    rate, cpu_ms["fdpg_tiny/torch"] = timed(fdpg_step, phases)
    phase_ms["fdpg_tiny/torch"] = phases.per_step_ms()
    entries["fdpg_tiny/torch"] = rate * (n * FDPG_NEW_TOKENS + 2 * n * (1 + FDPG_NEW_TOKENS))
    print(f"fdpg: constraint held in {satisfied[0] / satisfied[1]:.3f} of {satisfied[1]} samples", flush=True)

    for k, v in entries.items():
        print(f"{k:<24} {v:12.1f} tokens/s  {cpu_ms[k]:8.2f} CPU ms/step  main-thread CPU ms/step {phase_ms[k]}",
              flush=True)
    with open(f"{out_dir}/baselines_rl_{tag}.json", "w") as f:
        json.dump({"torch": torch.__version__, "torch_threads": torch.get_num_threads(), "entries": entries,
                   "cpu_ms_per_step": cpu_ms, "phase_cpu_ms_per_step": phase_ms}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "all")
