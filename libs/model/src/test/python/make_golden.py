#!/usr/bin/python3
"""Golden files for the decoder parity test (DecoderParityTest).

An independent, from-scratch PyTorch implementation of the Llama / Qwen2 forward pass
(the Hugging Face modelling code restated, not imported) on small random configs. It writes,
per config, into <out>/<name>/:
  config.json          Hugging Face config
  model.safetensors    the random weights (hand-written safetensors: sorted names,
                       "__metadata__" first, compact JSON, header padded with spaces to 8 bytes)
  golden.safetensors   input_ids, attention_mask, position_ids, logits [B,T,V],
                       token_logprobs [B,T-1] = log p(x[t+1] | x[<=t])

Regenerate (Debian python3-torch, CPU):
  /usr/bin/python3 libs/model/src/test/python/make_golden.py libs/model/src/test/resources/golden
"""
import json
import math
import os
import struct
import sys

import torch

CONFIGS = {
    "llama_gqa_untied": dict(
        architectures=["LlamaForCausalLM"], model_type="llama", vocab_size=61, hidden_size=32,
        intermediate_size=56, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=64, rms_norm_eps=1e-6, rope_theta=10000.0,
        tie_word_embeddings=False, attention_bias=False, hidden_act="silu",
        bos_token_id=1, eos_token_id=2, torch_dtype="float32"),
    "qwen2_tied_bias": dict(
        architectures=["Qwen2ForCausalLM"], model_type="qwen2", vocab_size=53, hidden_size=24,
        intermediate_size=40, num_hidden_layers=2, num_attention_heads=3, num_key_value_heads=1,
        max_position_embeddings=32, rms_norm_eps=1e-5, rope_theta=1000000.0,
        tie_word_embeddings=True, hidden_act="silu", use_sliding_window=False,
        bos_token_id=1, eos_token_id=2, torch_dtype="float32"),
}

DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def write_safetensors(path, tensors):
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.numpy().tobytes()  # little-endian on x86
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def random_weights(cfg, gen):
    h, i, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = h // nh
    bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)

    def rnd(*shape, scale=0.2):
        return torch.randn(*shape, generator=gen) * scale

    w = {"model.embed_tokens.weight": rnd(v, h, scale=1.0), "model.norm.weight": 1 + rnd(h, scale=0.1)}
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = 1 + rnd(h, scale=0.1)
        w[p + "post_attention_layernorm.weight"] = 1 + rnd(h, scale=0.1)
        w[p + "self_attn.q_proj.weight"] = rnd(nh * d, h)
        w[p + "self_attn.k_proj.weight"] = rnd(nkv * d, h)
        w[p + "self_attn.v_proj.weight"] = rnd(nkv * d, h)
        w[p + "self_attn.o_proj.weight"] = rnd(h, nh * d)
        if bias:
            w[p + "self_attn.q_proj.bias"] = rnd(nh * d, scale=0.1)
            w[p + "self_attn.k_proj.bias"] = rnd(nkv * d, scale=0.1)
            w[p + "self_attn.v_proj.bias"] = rnd(nkv * d, scale=0.1)
        w[p + "mlp.gate_proj.weight"] = rnd(i, h)
        w[p + "mlp.up_proj.weight"] = rnd(i, h)
        w[p + "mlp.down_proj.weight"] = rnd(h, i)
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = rnd(v, h)
    return w


def rms_norm(x, weight, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def linear(w, p, x):
    y = x @ w[p + ".weight"].T
    return y + w[p + ".bias"] if p + ".bias" in w else y


def forward(cfg, w, ids, mask):
    b, t = ids.shape
    h, nh, nkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = h // nh
    # positions count real tokens only, as Hugging Face generate() does for left padding
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    freqs = pos[:, :, None].float() * inv_freq[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]
    causal = torch.ones(t, t).tril().bool()
    allowed = causal[None, None] & mask[:, None, None, :].bool()
    additive = torch.zeros(b, 1, t, t).masked_fill(~allowed, torch.finfo(torch.float32).min)

    x = w["model.embed_tokens.weight"][ids]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        xn = rms_norm(x, w[p + "input_layernorm.weight"], cfg["rms_norm_eps"])
        q = linear(w, p + "self_attn.q_proj", xn).view(b, t, nh, d).transpose(1, 2)
        k = linear(w, p + "self_attn.k_proj", xn).view(b, t, nkv, d).transpose(1, 2)
        v = linear(w, p + "self_attn.v_proj", xn).view(b, t, nkv, d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(nh // nkv, dim=1)
        v = v.repeat_interleave(nh // nkv, dim=1)
        scores = q @ k.transpose(2, 3) / math.sqrt(d) + additive
        attn = torch.softmax(scores, dim=-1) @ v
        x = x + linear(w, p + "self_attn.o_proj", attn.transpose(1, 2).reshape(b, t, nh * d))
        xn = rms_norm(x, w[p + "post_attention_layernorm.weight"], cfg["rms_norm_eps"])
        gate = torch.nn.functional.silu(linear(w, p + "mlp.gate_proj", xn))
        x = x + linear(w, p + "mlp.down_proj", gate * linear(w, p + "mlp.up_proj", xn))
    x = rms_norm(x, w["model.norm.weight"], cfg["rms_norm_eps"])
    head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
    return x @ head.T, pos


def main(out):
    for seed, (name, cfg) in enumerate(sorted(CONFIGS.items())):
        gen = torch.Generator().manual_seed(1234 + seed)
        w = random_weights(cfg, gen)
        b, t = 2, 7
        ids = torch.randint(3, cfg["vocab_size"], (b, t), generator=gen)
        mask = torch.ones(b, t, dtype=torch.int64)
        mask[1, :2] = 0  # second row left-padded with two pad tokens
        ids[1, :2] = 0
        with torch.no_grad():
            logits, pos = forward(cfg, w, ids, mask)
            logprobs = torch.log_softmax(logits[:, :-1].double(), -1).float()
            token_lp = logprobs.gather(-1, ids[:, 1:, None]).squeeze(-1)
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")
        write_safetensors(os.path.join(d, "model.safetensors"), w)
        write_safetensors(os.path.join(d, "golden.safetensors"), {
            "input_ids": ids, "attention_mask": mask, "position_ids": pos,
            "logits": logits.contiguous(), "token_logprobs": token_lp.contiguous()})
        print(name, "written to", d)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "golden")
