"""NVIDIA Triton Python-backend model for the platform's Hugging Face checkpoints.

The inference service copies this file into every version folder it writes for an external Triton
(divergence.inference.triton-backend=python), next to the checkpoint's config.json and
model.safetensors (or a sharded model.safetensors.index.json). It serves the same inputs and
outputs as the config.pbtxt the service writes (RepositoryWriter) and computes what libs/model
computes, in float32 PyTorch:

* language models (config.json model_type llama, mistral or qwen2): input_ids INT64 [B, T] and
  optional attention_mask INT64 [B, T] (0 marks padding, left or right) to logits FP32 [B, vocab],
  the next-token logits after each row's last real token, and all_logits FP32 [B, T, vocab], the
  logits after every position, computed only when the request asks for them. Rotary positions
  count real tokens only; the sliding window (mistral, qwen2 with use_sliding_window) counts key
  slots, as libs/model's LlamaModel does.
* decoding entries (config with sequence_batching): the START, END and CORRID control inputs the
  config declares say which sequence a request belongs to. A request with START opens a KV cache
  for its correlation id (the prompt), each later request appends its new tokens to that cache,
  END frees it; a cache idle longer than max_sequence_idle_microseconds is freed as well (Triton
  does not tell the model when it drops an idle sequence). The one-token steps of different
  sequences that Triton hands to one execute() run as one batched forward over their caches,
  stacked with key padding (not with a sliding window, whose slots padding would shift: those
  steps, prompts and ends run one by one, each on its own cache).
* classifiers (model_type mlp or cnn): features FP32 [B, dim] to logits FP32 [B, classes] and
  labels BYTES [B, 1], the name of each row's highest-scoring class (first on ties).

Needs PyTorch in the Python backend's environment (Triton's *-pyt-python-py3 images). Runs on the
instance's GPU when Triton places it on one (TF32 off, so float32 stays float32), else on CPU.
"""
import json
import math
import os
import struct
import time

import numpy as np
import torch

import triton_python_backend_utils as pb_utils

SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
LANGUAGE_MODEL_TYPES = ("llama", "mistral", "qwen2")
CLASSIFIER_TYPES = ("mlp", "cnn")
# libs/model's finite "minus infinity": a fully masked (padding) query row stays NaN-free
MASKED = -1e30


class InputError(Exception):
    """Bad request input; the message names the input."""

    def __init__(self, field, message):
        super().__init__(f"{field}: {message}")


def read_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = SAFETENSORS_DTYPES[info["dtype"]]
        if end == start:
            tensor = torch.empty(0, dtype=dtype)
        else:
            tensor = torch.frombuffer(bytearray(data[start:end]), dtype=dtype)  # little-endian, as the format
        tensors[name] = tensor.reshape(info["shape"])
    return tensors


def read_checkpoint(folder):
    """model.safetensors, or the shards of model.safetensors.index.json; floats widened to float32."""
    single = os.path.join(folder, "model.safetensors")
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.isfile(single):
        tensors = read_safetensors(single)
    elif os.path.isfile(index):
        with open(index) as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        tensors = {}
        for shard in shards:
            tensors.update(read_safetensors(os.path.join(folder, shard)))
    else:
        raise FileNotFoundError(f"no model.safetensors or model.safetensors.index.json in {folder}")
    return {n: (t.float() if t.is_floating_point() else t) for n, t in tensors.items()}


def rms_norm(x, weight, eps):
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class KvCache:
    """One sequence's keys and values per layer ([1, kv_heads, S, head_dim], rotated), key mask and next position."""

    def __init__(self, layers, device):
        self.keys = [None] * layers
        self.values = [None] * layers
        self.key_mask = torch.zeros(1, 0, dtype=torch.bool, device=device)
        self.next_position = torch.zeros(1, dtype=torch.int64, device=device)
        self.last_used = time.monotonic()

    def length(self):
        return self.key_mask.shape[1]


class LanguageModel:
    """The Llama-family decoder of libs/model's LlamaModel (RMSNorm, RoPE, SwiGLU, GQA, tied or untied head, q/k/v biases)."""

    def __init__(self, cfg, weights, device):
        kind = cfg["model_type"]
        if cfg.get("hidden_act", "silu") != "silu":
            raise ValueError("hidden_act: only 'silu' (SwiGLU) is supported")
        scaling = cfg.get("rope_scaling")
        if scaling and scaling.get("rope_type", scaling.get("type", "default")) != "default":
            raise ValueError("rope_scaling: only the default rotary embedding is supported")
        self.vocab = cfg["vocab_size"]
        self.hidden = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.kv_heads = cfg.get("num_key_value_heads") or self.heads
        self.head_dim = cfg.get("head_dim") or self.hidden // self.heads
        self.layers = cfg["num_hidden_layers"]
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        self.max_positions = cfg["max_position_embeddings"]
        window_applies = kind == "mistral" or (kind == "qwen2" and cfg.get("use_sliding_window", False))
        self.window = cfg.get("sliding_window") if window_applies else None
        tied = cfg.get("tie_word_embeddings", kind not in ("llama", "mistral"))
        self.device = device
        self.w = {n: t.to(device) for n, t in weights.items()}
        self.head = self.w["model.embed_tokens.weight"] if tied else self.w["lm_head.weight"]
        theta = cfg.get("rope_theta", 10000.0)
        exponents = torch.arange(0, self.head_dim, 2, dtype=torch.float64) / self.head_dim
        self.inv_freq = (1.0 / theta ** exponents).float().to(device)

    def linear(self, prefix, x):
        y = x @ self.w[prefix + ".weight"].T
        bias = self.w.get(prefix + ".bias")
        return y if bias is None else y + bias

    def forward(self, ids, mask, cache=None):
        """Logits [B, T, vocab] of new tokens ids [B, T] (mask marks real tokens) after what cache holds (B = 1 then)."""
        b, t = ids.shape
        past = 0 if cache is None else cache.length()
        start = torch.zeros(b, dtype=torch.int64, device=self.device) if cache is None else cache.next_position
        seen = mask.cumsum(-1)
        positions = start[:, None] + (seen - 1).clamp(min=0)
        longest = int((start + seen[:, -1]).max())
        if longest > self.max_positions:
            raise InputError("input_ids", f"sequence length {longest} exceeds the context of {self.max_positions} "
                                          "(max_position_embeddings)")
        freqs = positions[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        key_mask = mask.bool() if cache is None else torch.cat((cache.key_mask, mask.bool()), dim=1)
        keys_len = past + t
        query_slot = past + torch.arange(t, device=self.device)
        key_slot = torch.arange(keys_len, device=self.device)
        visible = key_slot[None, :] <= query_slot[:, None]
        if self.window is not None:
            visible = visible & (query_slot[:, None] - key_slot[None, :] < self.window)
        allowed = visible[None, None] & key_mask[:, None, None, :]
        bias = torch.zeros(b, 1, t, keys_len, device=self.device).masked_fill(~allowed, MASKED)

        h, nh, nkv, d = self.hidden, self.heads, self.kv_heads, self.head_dim
        x = self.w["model.embed_tokens.weight"][ids]
        for layer in range(self.layers):
            p = f"model.layers.{layer}."
            xn = rms_norm(x, self.w[p + "input_layernorm.weight"], self.eps)
            q = self.linear(p + "self_attn.q_proj", xn).view(b, t, nh, d).transpose(1, 2)
            k = self.linear(p + "self_attn.k_proj", xn).view(b, t, nkv, d).transpose(1, 2)
            v = self.linear(p + "self_attn.v_proj", xn).view(b, t, nkv, d).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if cache is not None:
                if cache.keys[layer] is not None:
                    k = torch.cat((cache.keys[layer], k), dim=2)
                    v = torch.cat((cache.values[layer], v), dim=2)
                cache.keys[layer], cache.values[layer] = k, v
            k = k.repeat_interleave(nh // nkv, dim=1)
            v = v.repeat_interleave(nh // nkv, dim=1)
            scores = q @ k.transpose(2, 3) / math.sqrt(d) + bias
            attention = torch.softmax(scores, dim=-1) @ v
            x = x + self.linear(p + "self_attn.o_proj", attention.transpose(1, 2).reshape(b, t, nh * d))
            xn = rms_norm(x, self.w[p + "post_attention_layernorm.weight"], self.eps)
            gate = torch.nn.functional.silu(self.linear(p + "mlp.gate_proj", xn))
            x = x + self.linear(p + "mlp.down_proj", gate * self.linear(p + "mlp.up_proj", xn))
        if cache is not None:
            cache.key_mask = key_mask
            cache.next_position = start + seen[:, -1]
        x = rms_norm(x, self.w["model.norm.weight"], self.eps)
        return x @ self.head.T


    def steps(self, tokens, caches):
        """Next-token logits [B, vocab] of one new token per sequence (tokens [B]) after each cache, as one forward.

        The caches are stacked right-padded to the longest, padded key slots masked, so each row
        sees exactly its own keys (masked scores weigh exp(-1e30) = 0); each cache then gets its
        row's new key and value appended."""
        b = len(caches)
        h, nh, nkv, d = self.hidden, self.heads, self.kv_heads, self.head_dim
        lengths = [c.length() for c in caches]
        longest = max(lengths)
        key_mask = torch.zeros(b, longest + 1, dtype=torch.bool, device=self.device)
        for i, c in enumerate(caches):
            key_mask[i, :lengths[i]] = c.key_mask[0]
        key_mask[:, longest] = True
        positions = torch.cat([c.next_position for c in caches])
        freqs = positions[:, None, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        bias = torch.zeros(b, 1, 1, longest + 1, device=self.device).masked_fill(~key_mask[:, None, None, :], MASKED)

        def stacked(tensors):
            return torch.cat([torch.nn.functional.pad(t, (0, 0, 0, longest - t.shape[2])) for t in tensors], dim=0)

        x = self.w["model.embed_tokens.weight"][tokens][:, None, :]
        for layer in range(self.layers):
            p = f"model.layers.{layer}."
            xn = rms_norm(x, self.w[p + "input_layernorm.weight"], self.eps)
            q = self.linear(p + "self_attn.q_proj", xn).view(b, 1, nh, d).transpose(1, 2)
            k = self.linear(p + "self_attn.k_proj", xn).view(b, 1, nkv, d).transpose(1, 2)
            v = self.linear(p + "self_attn.v_proj", xn).view(b, 1, nkv, d).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            keys = torch.cat((stacked([c.keys[layer] for c in caches]), k), dim=2)
            values = torch.cat((stacked([c.values[layer] for c in caches]), v), dim=2)
            for i, c in enumerate(caches):
                c.keys[layer] = torch.cat((c.keys[layer], k[i:i + 1]), dim=2)
                c.values[layer] = torch.cat((c.values[layer], v[i:i + 1]), dim=2)
            keys = keys.repeat_interleave(nh // nkv, dim=1)
            values = values.repeat_interleave(nh // nkv, dim=1)
            scores = q @ keys.transpose(2, 3) / math.sqrt(d) + bias
            attention = torch.softmax(scores, dim=-1) @ values
            x = x + self.linear(p + "self_attn.o_proj", attention.transpose(1, 2).reshape(b, 1, nh * d))
            xn = rms_norm(x, self.w[p + "post_attention_layernorm.weight"], self.eps)
            gate = torch.nn.functional.silu(self.linear(p + "mlp.gate_proj", xn))
            x = x + self.linear(p + "mlp.down_proj", gate * self.linear(p + "mlp.up_proj", xn))
        for c in caches:
            c.key_mask = torch.cat((c.key_mask, torch.ones(1, 1, dtype=torch.bool, device=self.device)), dim=1)
            c.next_position = c.next_position + 1
        x = rms_norm(x, self.w["model.norm.weight"], self.eps)
        return (x @ self.head.T)[:, 0]


class Classifier:
    """libs/model's Classifier: an MLP (ReLU hidden layers, linear head) or the 8x8-style CNN (two 3x3 convolutions, linear head)."""

    def __init__(self, cfg, weights, device):
        self.kind = cfg["model_type"]
        self.input_dim = cfg["input_dim"]
        self.hidden = cfg.get("hidden_sizes", [])
        self.classes = cfg["num_classes"]
        self.side = cfg.get("image_size", 0)
        self.channels = cfg.get("num_channels", 0)
        names = cfg.get("class_names") or [str(c) for c in range(self.classes)]
        self.class_names = [n.encode("utf-8") for n in names]
        self.w = {n: t.to(device) for n, t in weights.items()}

    def logits(self, x):
        f = torch.nn.functional
        if self.kind == "mlp":
            for i in range(len(self.hidden)):
                x = torch.relu(f.linear(x, self.w[f"layers.{i}.weight"], self.w[f"layers.{i}.bias"]))
        else:
            x = x.reshape(x.shape[0], self.channels, self.side, self.side)
            x = torch.relu(f.conv2d(x, self.w["conv1.weight"], self.w["conv1.bias"], stride=1, padding=1))
            x = torch.relu(f.conv2d(x, self.w["conv2.weight"], self.w["conv2.bias"], stride=2, padding=1))
            x = x.reshape(x.shape[0], -1)
        return f.linear(x, self.w["head.weight"], self.w["head.bias"])


def control_names(model_config):
    """Names of the START, END and CORRID control inputs the config's sequence batching declares."""
    names = {}
    for control_input in model_config.get("sequence_batching", {}).get("control_input", []):
        for control in control_input.get("control", []):
            # proto3 JSON may leave out the enum's default, CONTROL_SEQUENCE_START
            names[control.get("kind", "CONTROL_SEQUENCE_START")] = control_input["name"]
    return names


class TritonPythonModel:

    def initialize(self, args):
        self.model_config = json.loads(args["model_config"])
        folder = os.path.join(args["model_repository"], args["model_version"])
        if args.get("model_instance_kind") == "GPU" and torch.cuda.is_available():
            self.device = torch.device(f"cuda:{args.get('model_instance_device_id', 0)}")
            # float32 must stay float32 (the results are checked against libs/model's float32 logits)
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
        else:
            self.device = torch.device("cpu")
        with open(os.path.join(folder, "config.json")) as f:
            cfg = json.load(f)
        weights = read_checkpoint(folder)
        kind = cfg.get("model_type")
        if kind in LANGUAGE_MODEL_TYPES:
            self.model = LanguageModel(cfg, weights, self.device)
        elif kind in CLASSIFIER_TYPES:
            self.model = Classifier(cfg, weights, self.device)
        else:
            raise ValueError(f"model_type: unsupported '{kind}', expected one of {LANGUAGE_MODEL_TYPES + CLASSIFIER_TYPES}")
        self.outputs = [o["name"] for o in self.model_config.get("output", [])]
        batching = self.model_config.get("sequence_batching")
        self.sequential = batching is not None
        if self.sequential:
            controls = control_names(self.model_config)
            missing = [k for k in ("CONTROL_SEQUENCE_START", "CONTROL_SEQUENCE_END", "CONTROL_SEQUENCE_CORRID") if k not in controls]
            if missing:
                raise ValueError(f"sequence_batching.control_input lacks {missing}")
            self.start_input = controls["CONTROL_SEQUENCE_START"]
            self.end_input = controls["CONTROL_SEQUENCE_END"]
            self.corrid_input = controls["CONTROL_SEQUENCE_CORRID"]
            # protobuf's JSON writes uint64 as a string
            self.idle_seconds = int(batching.get("max_sequence_idle_microseconds", 0) or 0) / 1e6
            self.sequences = {}

    def execute(self, requests):
        if self.sequential:
            self.evict_idle()
            with torch.no_grad():
                return self.execute_sequences(requests)
        responses = []
        with torch.no_grad():
            for request in requests:
                try:
                    outputs = self.run(request)
                    responses.append(pb_utils.InferenceResponse(output_tensors=outputs))
                except InputError as e:
                    responses.append(pb_utils.InferenceResponse(output_tensors=[], error=pb_utils.TritonError(str(e))))
        return responses

    def execute_sequences(self, requests):
        """Prompts, ends and sliding-window models one by one; the other one-token steps as one batch."""
        responses = [None] * len(requests)
        batch = []  # (index, request, key, cache, token)
        for i, request in enumerate(requests):
            try:
                step = self.joinable_step(request)
                if step is not None and any(key == step[0] for _, _, key, _, _ in batch):
                    step = None  # one batch holds one step per sequence
                if step is None:
                    responses[i] = pb_utils.InferenceResponse(output_tensors=self.run(request))
                else:
                    batch.append((i, request) + step)
            except InputError as e:
                responses[i] = pb_utils.InferenceResponse(output_tensors=[], error=pb_utils.TritonError(str(e)))
        if batch:
            tokens = torch.tensor([token for _, _, _, _, token in batch], dtype=torch.int64, device=self.device)
            logits = self.model.steps(tokens, [cache for _, _, _, cache, _ in batch]).cpu()
            now = time.monotonic()
            for row, (i, request, _, cache, _) in enumerate(batch):
                cache.last_used = now
                next_token = logits[row:row + 1].numpy().astype(np.float32)
                wanted = self.requested(request)
                out = []
                if "logits" in wanted:
                    out.append(pb_utils.Tensor("logits", next_token))
                if "all_logits" in wanted and "all_logits" in self.outputs:
                    out.append(pb_utils.Tensor("all_logits", next_token[:, None, :]))
                responses[i] = pb_utils.InferenceResponse(output_tensors=out)
        return responses

    def joinable_step(self, request):
        """(sequence key, cache, token) of a request that can join a batched step, else None (it runs alone)."""
        if self.model.window is not None or self.flag(request, self.start_input) or self.flag(request, self.end_input):
            return None
        ids = self.input(request, "input_ids", required=True)
        if ids.shape != (1, 1) or not 0 <= int(ids[0, 0]) < self.model.vocab:
            return None
        mask = self.input(request, "attention_mask", required=False)
        if mask is not None and (mask.shape != (1, 1) or mask[0, 0] == 0):
            return None
        key = self.correlation_id(request)
        cache = self.sequences.get(key)
        if cache is None or int(cache.next_position[0]) + 1 > self.model.max_positions:
            return None  # run alone: it answers with the error
        return key, cache, int(ids[0, 0])

    def finalize(self):
        if self.sequential:
            self.sequences.clear()

    def requested(self, request):
        names = request.requested_output_names() if hasattr(request, "requested_output_names") else None
        return set(names) if names else set(self.outputs)

    def run(self, request):
        if isinstance(self.model, Classifier):
            return self.classify(request)
        return self.language_model(request)

    def classify(self, request):
        features = self.input(request, "features", required=True)
        if features.ndim != 2 or features.shape[1] != self.model.input_dim:
            raise InputError("features", f"expected shape [batch, {self.model.input_dim}], got {list(features.shape)}")
        x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32)).to(self.device)
        logits = self.model.logits(x).cpu()
        wanted = self.requested(request)
        out = []
        if "logits" in wanted:
            out.append(pb_utils.Tensor("logits", logits.numpy().astype(np.float32)))
        if "labels" in wanted and "labels" in self.outputs:
            best = logits.argmax(dim=1).tolist()
            labels = np.array([[self.model.class_names[c]] for c in best], dtype=np.object_)
            out.append(pb_utils.Tensor("labels", labels))
        return out

    def language_model(self, request):
        ids = self.input(request, "input_ids", required=True)
        if ids.ndim != 2 or ids.shape[1] == 0:
            raise InputError("input_ids", f"expected shape [batch, tokens] with at least one token, got {list(ids.shape)}")
        ids = ids.astype(np.int64)
        if ids.min() < 0 or ids.max() >= self.model.vocab:
            bad = int(ids[(ids < 0) | (ids >= self.model.vocab)][0])
            raise InputError("input_ids", f"holds token {bad} outside the vocabulary [0, {self.model.vocab})")
        mask = self.input(request, "attention_mask", required=False)
        if mask is None:
            mask = np.ones_like(ids)
        elif mask.shape != ids.shape:
            raise InputError("attention_mask", f"shape {list(mask.shape)} differs from input_ids shape {list(ids.shape)}")
        mask = (mask != 0).astype(np.int64)
        for row in range(mask.shape[0]):
            if not mask[row].any():
                raise InputError("attention_mask", f"row {row} masks every token")
        ids_t = torch.from_numpy(ids).to(self.device)
        mask_t = torch.from_numpy(mask).to(self.device)
        if self.sequential:
            logits = self.sequence_step(request, ids_t, mask_t)
        else:
            logits = self.model.forward(ids_t, mask_t)
        # each row's last real token (padding may sit on either side)
        positions = torch.arange(ids.shape[1], device=self.device)
        last = torch.where(mask_t != 0, positions, torch.full_like(positions, -1)).max(dim=1).values
        wanted = self.requested(request)
        out = []
        if "logits" in wanted:
            rows = logits[torch.arange(ids.shape[0], device=self.device), last]
            out.append(pb_utils.Tensor("logits", rows.cpu().numpy().astype(np.float32)))
        if "all_logits" in wanted and "all_logits" in self.outputs:
            out.append(pb_utils.Tensor("all_logits", logits.cpu().numpy().astype(np.float32)))
        return out

    def sequence_step(self, request, ids, mask):
        if ids.shape[0] != 1:
            raise InputError("input_ids", f"a request in a sequence carries one row, got batch {ids.shape[0]}")
        key = self.correlation_id(request)
        start = self.flag(request, self.start_input)
        end = self.flag(request, self.end_input)
        if start:
            cache = KvCache(self.model.layers, self.device)
        else:
            cache = self.sequences.get(key)
            if cache is None:
                raise InputError(self.corrid_input, f"sequence {key!r} has no state: it was never started, has ended "
                                                    f"or was idle longer than {self.idle_seconds:g} s")
        logits = self.model.forward(ids, mask, cache)
        cache.last_used = time.monotonic()
        if end:
            self.sequences.pop(key, None)
        else:
            self.sequences[key] = cache
        return logits

    def evict_idle(self):
        if self.idle_seconds <= 0:
            return
        now = time.monotonic()
        for key in [k for k, c in self.sequences.items() if now - c.last_used > self.idle_seconds]:
            del self.sequences[key]

    def correlation_id(self, request):
        value = self.input(request, self.corrid_input, required=True).reshape(-1)[0]
        return value.decode("utf-8") if isinstance(value, bytes) else int(value)

    def flag(self, request, name):
        value = self.input(request, name, required=False)
        return value is not None and bool(value.reshape(-1)[0])

    @staticmethod
    def input(request, name, required):
        tensor = pb_utils.get_input_tensor_by_name(request, name)
        if tensor is None:
            if required:
                raise InputError(name, "missing")
            return None
        return tensor.as_numpy()
