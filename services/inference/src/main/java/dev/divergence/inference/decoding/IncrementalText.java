package dev.divergence.inference.decoding;

import dev.divergence.model.tokenizer.TextTokenizer;
import java.util.Arrays;

/**
 * Turns tokens into text pieces as they arrive. Decoding the whole output each time keeps
 * tokenizers that merge across tokens right; a trailing U+FFFD means a multi-byte character is
 * still incomplete, so its bytes wait for the token that completes it.
 */
final class IncrementalText {

    private final TextTokenizer tokenizer;
    private long[] ids = new long[16];
    private int count;
    private String emitted = "";

    IncrementalText(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds a token; returns the text it completes (possibly empty). */
    String add(long token) {
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, count * 2);
        }
        ids[count++] = token;
        String text = tokenizer.decode(Arrays.copyOf(ids, count));
        if (text.endsWith("\uFFFD") || !text.startsWith(emitted)) {
            return "";
        }
        String piece = text.substring(emitted.length());
        emitted = text;
        return piece;
    }

    /** The whole output decoded (including a trailing incomplete character, as the tokenizer renders it). */
    String text() {
        return tokenizer.decode(Arrays.copyOf(ids, count));
    }

    /** The text handed out so far. */
    String emitted() {
        return emitted;
    }
}
