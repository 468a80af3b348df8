package dev.divergence.modelserver;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Triton's binary tensor data extension of the KServe v2 REST protocol: an HTTP body is a JSON
 * object followed by raw tensor bytes (little-endian, row major; BOOL one byte; BYTES elements
 * each a 4-byte little-endian length and the bytes), the header
 * {@value #HEADER_LENGTH} giving the JSON's length. Each binary input says its size in
 * {@code parameters.binary_data_size}; the blobs follow in the order of those inputs.
 */
final class BinaryTensorData {

    static final String HEADER_LENGTH = "Inference-Header-Content-Length";
    static final String BINARY_DATA_SIZE = "binary_data_size";
    static final String BINARY_DATA = "binary_data";
    static final String BINARY_DATA_OUTPUT = "binary_data_output";

    /** A request body split into its JSON header and the binary data after it, read in order. */
    static final class Body {
        private final byte[] bytes;
        private final int headerLength;
        private int next;

        private Body(byte[] bytes, int headerLength) {
            this.bytes = bytes;
            this.headerLength = headerLength;
            this.next = headerLength;
        }

        /** A plain JSON body (no binary data). */
        static Body json(byte[] bytes) {
            return new Body(bytes, bytes.length);
        }

        /** A body whose first {@code header} value bytes are JSON; Triton's checks on the header value. */
        static Body withHeader(byte[] bytes, String header) {
            long length;
            try {
                length = Long.parseLong(header.trim());
            } catch (NumberFormatException e) {
                throw InferenceException.invalidArgument("Unable to parse " + HEADER_LENGTH + ": '" + header + "' is not an integer");
            }
            if (length <= 0 || length > bytes.length) {
                throw InferenceException.invalidArgument("inference header size should be in range (0, " + bytes.length + "], got: " + length);
            }
            return new Body(bytes, (int) length);
        }

        String header() {
            return new String(bytes, 0, headerLength, StandardCharsets.UTF_8);
        }

        /** The next {@code size} bytes of binary data, for input {@code input}. */
        ByteString take(String input, long size, String model) {
            if (size < 0 || size > bytes.length - next) {
                throw InferenceException.invalidArgument("unexpected size for input '" + input + "', expecting " + size
                        + " bytes but " + (bytes.length - next) + " bytes of binary data are left for model '" + model + "'");
            }
            ByteString slice = ByteString.copyFrom(bytes, next, (int) size);
            next += (int) size;
            return slice;
        }

        /** Every byte of binary data must belong to an input. */
        void requireConsumed(String model) {
            if (next != bytes.length) {
                throw InferenceException.invalidArgument("unexpected additional input data for model '" + model + "': "
                        + (bytes.length - next) + " bytes after the inputs' binary_data_size");
            }
        }
    }

    /** A JSON header followed by binary output tensors, as the response body. */
    static byte[] response(String header, java.util.List<ByteString> blobs) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        int total = json.length;
        for (ByteString blob : blobs) {
            total = Math.addExact(total, blob.size());
        }
        byte[] body = Arrays.copyOf(json, total);
        int at = json.length;
        for (ByteString blob : blobs) {
            blob.copyTo(body, at);
            at += blob.size();
        }
        return body;
    }

    private BinaryTensorData() {
    }
}
