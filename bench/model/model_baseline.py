#!/usr/bin/python3
"""PyTorch-CPU baseline for `bench/run.sh model` (Debian python3-torch).

The same Llama decoder as libs/model (RMSNorm, rotary embeddings, SwiGLU, grouped-query
attention, tied/untied head), written the idiomatic torch way, on the same configs and shapes as
ModelBenchmark.java: forward tokens/s (no grad), KV-cache decode tokens/s (batch 1, 16-token
prompt, 32 steps), and AdamW training steps/s (next-token cross-entropy, clip 1.0). Same timing
loop: warm-up (>= 2 calls and 1 s), 5 windows of >= 0.6 s (and 2 calls), best window (the machine
is shared; the best window is the least disturbed one), and the least process CPU time per call of
any window (what a loaded machine disturbs least).

usage: model_baseline.py OUT_DIR THREADS [CASE [TAG]]   (CASE tiny|25m|all; writes OUT_DIR/baselines_TAG.json)
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

CASES = [
    # name, vocab, hidden, intermediate, layers, heads, kv heads, tied, batch, seq
    ("tiny", 259, 64, 160, 2, 4, 2, False, 8, 128),
    ("25m", 32000, 512, 1408, 3, 8, 4, True, 4, 128),
]
DECODE_TOKENS = 32


class RMSNorm(torch.nn.Module):
    def __init__(self, h, eps=1e-5):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(h))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Layer(torch.nn.Module):
    def __init__(self, h, inter, nh, nkv):
        super().__init__()
        self.nh, self.nkv, self.d = nh, nkv, h // nh
        self.input_layernorm = RMSNorm(h)
        self.post_attention_layernorm = RMSNorm(h)
        self.q_proj = torch.nn.Linear(h, nh * self.d, bias=False)
        self.k_proj = torch.nn.Linear(h, nkv * self.d, bias=False)
        self.v_proj = torch.nn.Linear(h, nkv * self.d, bias=False)
        self.o_proj = torch.nn.Linear(nh * self.d, h, bias=False)
        self.gate_proj = torch.nn.Linear(h, inter, bias=False)
        self.up_proj = torch.nn.Linear(h, inter, bias=False)
        self.down_proj = torch.nn.Linear(inter, h, bias=False)

    def forward(self, x, cos, sin, mask, cache):
        b, t, _ = x.shape
        xn = self.input_layernorm(x)
        q = self.q_proj(xn).view(b, t, self.nh, self.d).transpose(1, 2)
        k = self.k_proj(xn).view(b, t, self.nkv, self.d).transpose(1, 2)
        v = self.v_proj(xn).view(b, t, self.nkv, self.d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            if "k" in cache:
                k = torch.cat((cache["k"], k), dim=2)
                v = torch.cat((cache["v"], v), dim=2)
            cache["k"], cache["v"] = k, v
        g = self.nh // self.nkv
        k = k.repeat_interleave(g, dim=1)
        v = v.repeat_interleave(g, dim=1)
        scores = q @ k.transpose(2, 3) / math.sqrt(self.d) + mask
        attn = torch.softmax(scores, dim=-1) @ v
        x = x + self.o_proj(attn.transpose(1, 2).reshape(b, t, -1))
        xn = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(xn)) * self.up_proj(xn))


class Llama(torch.nn.Module):
    def __init__(self, vocab, h, inter, layers, nh, nkv, tied):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(vocab, h)
        self.layers = torch.nn.ModuleList(Layer(h, inter, nh, nkv) for _ in range(layers))
        self.norm = RMSNorm(h)
        self.lm_head = None if tied else torch.nn.Linear(h, vocab, bias=False)
        d = h // nh
        self.register_buffer("inv_freq", 1.0 / (10000.0 ** (torch.arange(0, d, 2).float() / d)), persistent=False)

    def forward(self, ids, attention_mask, caches=None, past=0):
        b, t = ids.shape
        pos = (attention_mask.cumsum(-1) - 1).clamp(min=0)[:, past:] if past == 0 else \
            torch.arange(past, past + t).expand(b, t)
        freqs = pos[:, :, None].float() * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        s = past + t
        causal = torch.ones(t, s, dtype=torch.bool).tril(diagonal=past)
        keys = attention_mask[:, None, None, :s].bool()
        mask = torch.zeros(b, 1, t, s).masked_fill(~(causal & keys), -1e30)
        x = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, mask, caches[i] if caches is not None else None)
        x = self.norm(x)
        return x @ self.embed_tokens.weight.T if self.lm_head is None else self.lm_head(x)


def throughput(fn):
    """(best calls/s of 5 windows, least process CPU ms per call of any window); same loop as ModelBenchmark."""
    warm_start, calls = time.perf_counter(), 0
    while calls < 2 or time.perf_counter() - warm_start < 1.0:
        fn()
        calls += 1
    rates, cpu_per_call = [], float("inf")
    for _ in range(5):
        calls = 0
        start = time.perf_counter()
        cpu_start = time.process_time()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= 0.6 and calls >= 2:
                break
        rates.append(calls / elapsed)
        cpu_per_call = min(cpu_per_call, (time.process_time() - cpu_start) * 1e3 / calls)
    return max(rates), cpu_per_call


def main(out_dir, threads, only="all", tag="all"):
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    entries, cpu_ms = {}, {}
    for name, vocab, h, inter, layers, nh, nkv, tied, batch, seq in CASES:
        if only not in ("all", name):
            continue
        model = Llama(vocab, h, inter, layers, nh, nkv, tied)
        for p in model.parameters():
            if p.dim() > 1:
                torch.nn.init.normal_(p, std=0.02)
        print(f"{name}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters", flush=True)
        ids = torch.randint(0, vocab, (batch, seq))
        mask = torch.ones(batch, seq, dtype=torch.int64)

        with torch.no_grad():
            rate, cpu_ms[f"forward_{name}/torch"] = throughput(lambda: model(ids, mask))
            entries[f"forward_{name}/torch"] = rate * batch * seq

            def decode():
                caches = [{} for _ in range(layers)]
                prompt = ids[:1, :16]
                full = torch.ones(1, 16 + DECODE_TOKENS, dtype=torch.int64)
                model(prompt, full[:, :16], caches, 0)
                for t in range(DECODE_TOKENS):
                    model(ids[:1, 16 + t:17 + t], full[:, :17 + t], caches, 16 + t)
            rate, cpu_ms[f"decode_{name}/torch"] = throughput(decode)
            entries[f"decode_{name}/torch"] = rate * DECODE_TOKENS

        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)

        def train_step():
            logits = model(ids, mask)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), ids[:, 1:].reshape(-1))
            optimizer.zero_grad(set_to_none=False)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        entries[f"train_step_{name}/torch"], cpu_ms[f"train_step_{name}/torch"] = throughput(train_step)
        for k in ("forward", "decode", "train_step"):
            print(f"{k}_{name:<6} torch {entries[f'{k}_{name}/torch']:12.2f}, "
                  f"{cpu_ms[f'{k}_{name}/torch']:.1f} ms CPU per call", flush=True)

    with open(f"{out_dir}/baselines_{tag}.json", "w") as f:
        json.dump({"torch": torch.__version__, "torch_threads": threads, "entries": entries, "cpu_ms_per_call": cpu_ms},
                  f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1,
         sys.argv[3] if len(sys.argv) > 3 else "all", sys.argv[4] if len(sys.argv) > 4 else "all")
