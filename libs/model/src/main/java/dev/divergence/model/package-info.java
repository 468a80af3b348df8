/**
 * Models on DJL's PyTorch engine (real libtorch, offline, CPU; CUDA when the caller's NDManager
 * is on a GPU), in the Hugging Face format.
 *
 * <ul>
 *   <li>{@code io}: safetensors read/write (single file and sharded index), bit-exact;
 *   <li>{@code lm}: Llama / Mistral / Qwen2 decoder from config.json, batched forward with padding,
 *       per-token log-probs, KV cache; next-token loss;
 *   <li>{@code generation}: decoding sessions and the generation loop (greedy, temperature, top-k,
 *       top-p, seed, stops, max tokens) with a logits-processor hook;
 *   <li>{@code tokenizer}: Hugging Face tokenizer.json via DJL, and the built-in byte tokenizer;
 *   <li>{@code classifier}: MLP and 8x8 CNN classifiers, per-sample two-parameter-set forward (T³);
 *   <li>{@code training}: AdamW / SGD, schedules, clipping, accumulation, seeding;
 *   <li>{@code assets}: the bundled data sets and the tiny local models made on first use.
 * </ul>
 *
 * <p>Call {@link dev.divergence.model.DjlRuntime#configure} first to choose where libtorch unpacks
 * (the local platform uses ./.data/djl). Bad input raises
 * {@link dev.divergence.model.InvalidModelException} naming the item.
 */
package dev.divergence.model;
