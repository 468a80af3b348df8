package dev.divergence.model.tokenizer;

import java.util.OptionalLong;

/** Text to token ids and back; what generation, trainers and the model server need. */
public interface TextTokenizer extends AutoCloseable {

    /** Token ids of {@code text}, without special tokens. */
    long[] encode(String text);

    /** Text of {@code ids}, special tokens skipped. */
    String decode(long[] ids);

    int vocabSize();

    OptionalLong bosTokenId();

    OptionalLong eosTokenId();

    OptionalLong padTokenId();

    @Override
    default void close() {
    }
}
