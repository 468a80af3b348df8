package dev.divergence.modelserver;

import com.google.protobuf.ByteString;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.modelserver.tensor.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Joins the tensors of several requests along the batch dimension and splits results back.
 * Row-major layout makes both plain byte concatenation and slicing, including for BYTES whose
 * length-prefixed elements stay self-delimiting.
 */
final class Batches {

    private Batches() {
    }

    /** Whether two requests' inputs can share one execution: same names, types and non-batch dims. */
    static boolean compatible(Map<String, Tensor> a, Map<String, Tensor> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, Tensor> e : a.entrySet()) {
            Tensor other = b.get(e.getKey());
            long[] sa = e.getValue().shape();
            long[] sb = other.shape();
            if (e.getValue().type() != other.type() || sa.length != sb.length
                    || !Arrays.equals(Arrays.copyOfRange(sa, 1, sa.length), Arrays.copyOfRange(sb, 1, sb.length))) {
                return false;
            }
        }
        return true;
    }

    static Map<String, Tensor> concat(List<Map<String, Tensor>> parts) {
        Map<String, Tensor> joined = new LinkedHashMap<>();
        for (String name : parts.get(0).keySet()) {
            Tensor first = parts.get(0).get(name);
            long[] shape = first.shape();
            long rows = 0;
            ByteString raw = ByteString.EMPTY;
            for (Map<String, Tensor> part : parts) {
                rows += part.get(name).shape()[0];
                raw = raw.concat(part.get(name).raw());
            }
            shape[0] = rows;
            joined.put(name, Tensor.ofRaw(first.type(), shape, raw));
        }
        return joined;
    }

    /** Cuts every output into consecutive row ranges of the given sizes. */
    static List<Map<String, Tensor>> split(Map<String, Tensor> outputs, long[] rowsPerPart) {
        List<Map<String, Tensor>> parts = new ArrayList<>();
        for (int i = 0; i < rowsPerPart.length; i++) {
            parts.add(new LinkedHashMap<>());
        }
        outputs.forEach((name, tensor) -> {
            long[] shape = tensor.shape();
            long elementsPerRow = Tensor.elementCount(Arrays.copyOfRange(shape, 1, shape.length));
            int offset = 0;
            for (int i = 0; i < rowsPerPart.length; i++) {
                int length = byteLength(tensor, offset, rowsPerPart[i] * elementsPerRow);
                long[] partShape = shape.clone();
                partShape[0] = rowsPerPart[i];
                parts.get(i).put(name, Tensor.ofRaw(tensor.type(), partShape, tensor.raw().substring(offset, offset + length)));
                offset += length;
            }
        });
        return parts;
    }

    private static int byteLength(Tensor tensor, int offset, long elements) {
        if (tensor.type() != TensorType.BYTES) {
            return Math.toIntExact(elements * tensor.type().elementBytes());
        }
        // slice: a ByteString's buffer may start at a non-zero position inside a shared array
        ByteBuffer in = tensor.raw().asReadOnlyByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN);
        in.position(offset);
        for (long e = 0; e < elements; e++) {
            int length = in.getInt(); // read first: it advances the position past the prefix
            in.position(in.position() + length);
        }
        return in.position() - offset;
    }
}
