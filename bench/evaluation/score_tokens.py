"""Token scoring of 256 prompts + answers: the inference service's TokenDistributions against PyTorch CPU.

The work (what the evaluation service's model_divergence suite asks for): for each text, the model's
next-token distribution before every answer token (full vocabulary: log-softmax and entropy) and the
answer tokens' log-probs, computed with one forward pass per text.

  baseline: a float32 PyTorch port of libs/model's Llama (RMSNorm, rotary embeddings with the Hugging
            Face rotate_half convention, grouped-query attention, SwiGLU MLP, tied or untied head)
            loading the built-in tiny LM from its safetensors folder, one forward [1, T] per text,
            log-softmax at the answer positions, in this process;
  service:  the same 256 texts through gRPC ScoringService/TokenDistributions (top_k 0), measured by
            bench/evaluation's Java client (TokenScoring.java), chunks of 64 items per call as the
            evaluation service's InferenceClient sends them.

Before anything is timed, `check` compares the port's log-probs with the service's answer (every answer
token's log-prob for all 256 texts, and the full distributions of the first texts) within the float32
bound derived below.

usage:
  score_tokens.py items ITEMS_JSONL                    write the 256 texts (seeded), one JSON object a line
  score_tokens.py check MODEL_DIR ITEMS_JSONL DUMP_JSON  compare with the service's answer (exit 1 if unequal)
  score_tokens.py time MODEL_DIR ITEMS_JSONL OUT_JSON  tokens scored per second, merged into OUT_JSON
                                                       (1 thread and the machine's cores, the faster kept;
                                                       BENCH_THREADS fixes one)
"""
import json
import math
import os
import random
import struct
import sys
import time

import numpy as np
import torch

TEXTS = 256
BOS = 257  # the byte tokenizer's BOS (libs/model ByteTokenizer); ids 0..255 are the UTF-8 bytes
FLOAT32_EPS = 2.0 ** -23


def make_items(path):
    """Arithmetic prompts with answers of 20-60 bytes (continued sums, as the tiny LM's corpus has them)."""
    rng = random.Random(20261206)
    with open(path, "w") as out:
        for _ in range(TEXTS):
            a, b = rng.randrange(100), rng.randrange(100)
            prompt = "%d+%d=" % (a, b)
            answer = "%d." % (a + b)
            length = rng.randrange(20, 61)
            while len(answer) < length:
                c, d = rng.randrange(100), rng.randrange(100)
                answer += " %d+%d=%d." % (c, d, c + d)
            out.write(json.dumps({"prompt": prompt, "answer": answer}) + "\n")


def read_items(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def token_ids(item):
    prompt = [BOS] + list(item["prompt"].encode("utf-8"))
    answer = list(item["answer"].encode("utf-8"))
    return prompt, answer


def load_safetensors(folder):
    tensors = {}
    names = sorted(n for n in os.listdir(folder) if n.startswith("model") and n.endswith(".safetensors"))
    dtypes = {"F32": np.float32, "F16": np.float16, "F64": np.float64}
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            raw = f.read()
        (header_len,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + header_len])
        base = 8 + header_len
        for key, info in header.items():
            if key == "__metadata__":
                continue
            start, end = info["data_offsets"]
            if info["dtype"] == "BF16":
                half = np.frombuffer(raw[base + start:base + end], dtype="<u2").astype(np.uint32) << 16
                array = half.view(np.float32)
            else:
                array = np.frombuffer(raw[base + start:base + end], dtype=dtypes[info["dtype"]]).astype(np.float32)
            tensors[key] = torch.from_numpy(array.reshape(info["shape"]).copy())
    return tensors


class Llama:
    """libs/model's LlamaModel forward for one unpadded row, float32 (no KV cache, no sliding window)."""

    def __init__(self, folder):
        c = json.load(open(os.path.join(folder, "config.json")))
        if c.get("sliding_window") and c.get("model_type") == "mistral":
            raise SystemExit("sliding windows are not ported")
        self.config = c
        self.hidden = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.kv_heads = c.get("num_key_value_heads", self.heads)
        self.head_dim = c.get("head_dim") or self.hidden // self.heads
        self.layers = c["num_hidden_layers"]
        self.eps = c.get("rms_norm_eps", 1e-6)
        self.w = load_safetensors(folder)
        tied = c.get("tie_word_embeddings", False) or "lm_head.weight" not in self.w
        self.head = self.w["model.embed_tokens.weight"] if tied else self.w["lm_head.weight"]
        theta = c.get("rope_theta", 10000.0)
        # float32 as the reference: theta ** (2i / d), then the reciprocal
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim))

    def rms_norm(self, x, weight):
        return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * weight

    def linear(self, x, prefix):
        bias = self.w.get(prefix + ".bias")
        return torch.nn.functional.linear(x, self.w[prefix + ".weight"], bias)

    @staticmethod
    def rotate_half(x):
        half = x.shape[-1] // 2
        return torch.cat((-x[..., half:], x[..., :half]), dim=-1)

    def forward(self, ids):
        """Logits [T, vocab] of one row of token ids."""
        t = len(ids)
        x = self.w["model.embed_tokens.weight"][torch.tensor(ids)]
        angles = torch.arange(t, dtype=torch.float32)[:, None] * self.inv_freq[None, :]
        angles = torch.cat((angles, angles), dim=-1)
        cos, sin = angles.cos()[:, None, :], angles.sin()[:, None, :]
        causal = torch.full((t, t), float("-inf")).triu(1)
        groups = self.heads // self.kv_heads
        scale = 1.0 / math.sqrt(self.head_dim)
        for layer in range(self.layers):
            p = "model.layers.%d." % layer
            xn = self.rms_norm(x, self.w[p + "input_layernorm.weight"])
            q = self.linear(xn, p + "self_attn.q_proj").view(t, self.heads, self.head_dim)
            k = self.linear(xn, p + "self_attn.k_proj").view(t, self.kv_heads, self.head_dim)
            v = self.linear(xn, p + "self_attn.v_proj").view(t, self.kv_heads, self.head_dim)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            # query head j reads key/value head j // groups (Hugging Face repeat_kv)
            k = k.repeat_interleave(groups, dim=1)
            v = v.repeat_interleave(groups, dim=1)
            scores = torch.einsum("thd,shd->hts", q, k) * scale + causal
            attn = torch.einsum("hts,shd->thd", scores.softmax(-1), v).reshape(t, self.heads * self.head_dim)
            x = x + self.linear(attn, p + "self_attn.o_proj")
            xn = self.rms_norm(x, self.w[p + "post_attention_layernorm.weight"])
            gate = self.linear(xn, p + "mlp.gate_proj")
            x = x + self.linear(torch.nn.functional.silu(gate) * self.linear(xn, p + "mlp.up_proj"), p + "mlp.down_proj")
        return torch.nn.functional.linear(self.rms_norm(x, self.w["model.norm.weight"]), self.head)

    def path_length(self, positions):
        """N of the float32 bound: the reduction lengths along the path to one logit (see check)."""
        c = self.config
        per_layer = (self.hidden + 3 * self.hidden + self.head_dim + 2 * positions + self.heads * self.head_dim
                     + self.hidden + 2 * self.hidden + c["intermediate_size"])
        return self.layers * per_layer + 2 * self.hidden


def score(model, item):
    """One forward of prompt + answer but its last byte: log-softmax (float32) before every answer token."""
    prompt, answer = token_ids(item)
    row = prompt + answer[:-1]
    with torch.no_grad():
        logits = model.forward(row)[len(prompt) - 1:]
        log_probs = logits.log_softmax(-1)
        entropy = -(log_probs.exp() * log_probs).sum(-1)
        token_log_probs = log_probs.gather(1, torch.tensor(answer)[:, None])[:, 0]
    return logits, log_probs, entropy, token_log_probs


def check(model_dir, items_path, dump_path):
    """
    The service and this port are two float32 evaluations of the same logits that differ in summation
    order (libtorch through DJL, batched and padded, against this process). A float32 sum of n products
    is within n * u * sum|x_i y_i| of exact (Higham's gamma_n, u = 2^-24), so two evaluations are within
    n * eps * sum|x_i y_i| (eps = 2^-23). Summing the reduction lengths along the path to one logit (per
    layer: input norm, q, k, v, scores, softmax normaliser and weighted values over the positions, o,
    second norm, gate, up, down; then the final norm and the head) gives N; pre-norm blocks keep each
    stage's sum|terms| at the size of the logits, so |delta logit| <= N * eps * max|logit| = delta
    (libs/model's forwardTolerance, the same derivation). A log-softmax value then moves by at most
    2 * delta (the service takes it in float64 of the float32 logits; this side in float32 adds a few
    float32 roundings of values below 30, < 1e-5, added to the bound), a probability by at most
    2.01 * delta, an entropy by at most 2 * ln(V) * delta.
    """
    model = Llama(model_dir)
    items = read_items(items_path)
    dump = json.load(open(dump_path))["items"]
    assert len(dump) == len(items), "the service answered %d items for %d" % (len(dump), len(items))
    worst = 0.0
    checked = 0
    for i, (item, served) in enumerate(zip(items, dump)):
        prompt, answer = token_ids(item)
        logits, log_probs, entropy, token_log_probs = score(model, item)
        if served["token_ids"] != answer or served["prompt_token_count"] != len(prompt):
            raise SystemExit("item %d: token ids differ: %s vs %s" % (i, served["token_ids"], answer))
        delta = model.path_length(len(prompt) + len(answer)) * FLOAT32_EPS * float(logits.abs().max())
        log_tol = 2 * delta + 1e-5
        for t, value in enumerate(served["token_log_probs"]):
            diff = abs(value - float(token_log_probs[t]))
            worst = max(worst, diff / log_tol)
            if diff > log_tol:
                raise SystemExit("item %d token %d: service log-prob %.9g vs PyTorch %.9g (tolerance %.3g)"
                                 % (i, t, value, float(token_log_probs[t]), log_tol))
            checked += 1
        for t, entropy_served in enumerate(served.get("entropies", [])):
            tol = 2 * math.log(log_probs.shape[-1]) * delta + 1e-5
            if abs(entropy_served - float(entropy[t])) > tol:
                raise SystemExit("item %d position %d: entropy %.9g vs %.9g" % (i, t, entropy_served, float(entropy[t])))
        for t, probabilities in enumerate(served.get("probabilities", [])):
            p = log_probs[t].double().exp().numpy()
            diff = np.abs(np.asarray(probabilities) - p).max()
            if diff > 2.01 * delta + 1e-5:
                raise SystemExit("item %d position %d: probabilities differ by %.3g" % (i, t, diff))
    print("check: %d answer-token log-probs of %d texts equal the service's within the float32 bound "
          "(largest difference %.2f of its tolerance)" % (checked, len(items), worst))


def time_baseline(model_dir, items_path, out_path):
    """
    Best of 3 timed passes after a warm-up, with 1 intra-op thread and with the machine's cores (the
    service's libtorch runs with its default, the cores); the faster setting is the baseline (one
    thread usually wins for a model this small: OpenMP's hand-offs cost more than the kernels).
    BENCH_THREADS fixes one setting.
    """
    model = Llama(model_dir)
    items = read_items(items_path)
    tokens = sum(len(token_ids(item)[1]) for item in items)

    def one_pass():
        for item in items:
            score(model, item)

    settings = [int(os.environ["BENCH_THREADS"])] if "BENCH_THREADS" in os.environ else sorted({1, os.cpu_count() or 1})
    best, best_threads = 0.0, settings[0]
    for threads in settings:
        torch.set_num_threads(threads)
        one_pass()  # warm-up
        for _ in range(3):
            start = time.perf_counter()
            one_pass()
            rate = tokens / (time.perf_counter() - start)
            if rate > best:
                best, best_threads = rate, threads
    figures = json.load(open(out_path)) if os.path.exists(out_path) else {}
    figures.update({"torch_tokens_per_s": best, "torch": torch.__version__, "torch_threads": best_threads,
                    "torch_thread_settings": settings, "texts": len(items), "answer_tokens": tokens})
    json.dump(figures, open(out_path, "w"), indent=2)
    print("PyTorch %s (%d threads, the faster of %s): %.1f answer tokens scored per second (%d texts, %d tokens; "
          "best of 3 passes)" % (torch.__version__, best_threads, settings, best, len(items), tokens))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "items" and len(sys.argv) == 3:
        make_items(sys.argv[2])
    elif command == "check" and len(sys.argv) == 5:
        check(sys.argv[2], sys.argv[3], sys.argv[4])
    elif command == "time" and len(sys.argv) == 5:
        time_baseline(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
