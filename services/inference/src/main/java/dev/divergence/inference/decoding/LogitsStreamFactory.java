package dev.divergence.inference.decoding;

/** Opens independent {@link LogitsStream}s on one model (one per prompt a strategy contrasts). */
@FunctionalInterface
public interface LogitsStreamFactory {

    LogitsStream open();
}
