package dev.divergence.modelserver;

import java.nio.charset.StandardCharsets;

/**
 * Keeps gRPC status descriptions small enough to arrive. A description travels percent-encoded in the
 * {@code grpc-message} trailer (each UTF-8 byte outside printable ASCII becomes three), and grpc-java
 * clients refuse trailers above 8 KiB with an opaque INTERNAL "http2 exception", losing the real code.
 * A message that repeats a caller's 10,000-character model name would do exactly that, so every
 * description is cut to {@value #MAX_BYTES} UTF-8 bytes (at most 3,000 bytes on the wire), and strings
 * the caller sent are abbreviated where a message quotes them.
 */
public final class StatusDescriptions {

    /** Bytes of UTF-8 a description keeps (the limit platform-commons uses for the platform's own gRPC APIs). */
    public static final int MAX_BYTES = 1000;
    /** Characters of a caller's string (a model name, an input name) an error message quotes. */
    public static final int MAX_ECHOED_CHARS = 100;

    private StatusDescriptions() {}

    /** {@code description} cut to {@value #MAX_BYTES} UTF-8 bytes on a character boundary, saying how much was left out. */
    public static String bounded(String description) {
        if (description == null || description.length() <= MAX_BYTES / 3
                || description.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES) {
            return description;
        }
        int bytes = 0;
        int end = 0;
        while (end < description.length()) {
            int codePoint = description.codePointAt(end);
            int size = utf8Length(codePoint);
            if (bytes + size > MAX_BYTES) {
                break;
            }
            bytes += size;
            end += Character.charCount(codePoint);
        }
        return description.substring(0, end) + "... (" + (description.length() - end) + " more characters)";
    }

    /** A caller's string as an error message quotes it: the first {@value #MAX_ECHOED_CHARS} characters. */
    public static String echoed(String clientString) {
        if (clientString == null || clientString.length() <= MAX_ECHOED_CHARS) {
            return clientString;
        }
        int end = MAX_ECHOED_CHARS;
        if (Character.isHighSurrogate(clientString.charAt(end - 1))) {
            end--; // never split a surrogate pair
        }
        return clientString.substring(0, end) + "... (" + (clientString.length() - end) + " more characters)";
    }

    private static int utf8Length(int codePoint) {
        if (codePoint < 0x80) {
            return 1;
        }
        if (codePoint < 0x800) {
            return 2;
        }
        // an unpaired surrogate is encoded as one replacement character '?' by getBytes, three bytes is an upper bound
        return codePoint < 0x10000 ? 3 : 4;
    }
}
