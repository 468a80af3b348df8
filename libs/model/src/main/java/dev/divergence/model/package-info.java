/** Models on DJL: decoder LMs, classifiers, safetensors / Hugging Face IO, tokenizers. */
package dev.divergence.model;
