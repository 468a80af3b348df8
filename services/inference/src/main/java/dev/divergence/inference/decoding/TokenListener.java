package dev.divergence.inference.decoding;

/** Receives each token as soon as it is chosen (streaming APIs, metrics). */
@FunctionalInterface
public interface TokenListener {

    TokenListener NONE = token -> {
    };

    void onToken(GeneratedToken token);
}
