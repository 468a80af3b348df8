package dev.divergence.model.io;

import dev.divergence.model.InvalidModelException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A parsed, validated safetensors file: an 8-byte little-endian header length, that many bytes
 * of UTF-8 JSON (tensor name to dtype / shape / data_offsets, plus optional "__metadata__"),
 * then the data section. The file is memory-mapped, so opening a large checkpoint is cheap and
 * tensors are copied only when asked for.
 */
public final class SafeTensorsFile {

    /** Same cap as the reference implementation: a larger header is corrupt or hostile. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path path;
    private final ByteBuffer data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafeTensorsFile(Path path, ByteBuffer data, Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafeTensorsFile open(Path path) {
        String file = path.toString();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new InvalidModelException(file, "too short for a safetensors file (" + size + " bytes)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
                throw new InvalidModelException(file, "invalid header length " + headerLen + " for a file of " + size + " bytes");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            ch.read(headerBuf, 8);
            String header = new String(headerBuf.array(), StandardCharsets.UTF_8);
            long dataStart = 8 + headerLen;
            ByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, dataStart, size - dataStart)
                    .order(ByteOrder.LITTLE_ENDIAN);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(file, header, size - dataStart, metadata);
            return new SafeTensorsFile(path, mapped, tensors, Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    static Map<String, TensorInfo> parseHeader(String file, String header, long dataBytes,
            Map<String, String> metadataOut) {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JacksonException e) {
            throw new InvalidModelException(file, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidModelException(file, "header must be a JSON object");
        }
        List<TensorInfo> infos = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            JsonNode node = e.getValue();
            if (name.equals("__metadata__")) {
                for (Map.Entry<String, JsonNode> m : node.properties()) {
                    if (!m.getValue().isString()) {
                        throw new InvalidModelException("__metadata__." + m.getKey(), "metadata values must be strings");
                    }
                    metadataOut.put(m.getKey(), m.getValue().stringValue());
                }
                continue;
            }
            infos.add(parseEntry(name, node));
        }
        // offsets must tile the data section exactly: no gaps, no overlaps, nothing left over
        infos.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo info : infos) {
            if (info.begin() != expected) {
                throw new InvalidModelException(info.name(), "data_offsets start at " + info.begin()
                        + " but the previous tensor ends at " + expected + " (gap or overlap)");
            }
            expected = info.end();
            byName.put(info.name(), info);
        }
        if (expected != dataBytes) {
            throw new InvalidModelException(file, "tensors cover " + expected + " bytes but the data section has " + dataBytes);
        }
        return Collections.unmodifiableMap(byName);
    }

    private static TensorInfo parseEntry(String name, JsonNode node) {
        if (!node.isObject()) {
            throw new InvalidModelException(name, "header entry must be an object");
        }
        SafeTensorDType dtype = SafeTensorDType.parse(name, node.path("dtype").asString(null));
        JsonNode shapeNode = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new InvalidModelException(name, "missing 'shape' array");
        }
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw new InvalidModelException(name, "'data_offsets' must be [begin, end]");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || d.longValue() < 0) {
                throw new InvalidModelException(name, "shape entries must be non-negative integers");
            }
            shape[i] = d.longValue();
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin) {
            throw new InvalidModelException(name, "invalid data_offsets [" + begin + ", " + end + "]");
        }
        TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
        if (info.elementCount() * dtype.bytes() != info.byteLength()) {
            throw new InvalidModelException(name, "shape " + java.util.Arrays.toString(shape) + " of " + dtype
                    + " needs " + info.elementCount() * dtype.bytes() + " bytes but data_offsets span " + info.byteLength());
        }
        return info;
    }

    public Path path() {
        return path;
    }

    /** Header entries in data order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new InvalidModelException(name, "no such tensor in " + path);
        }
        return info;
    }

    /** A read-only little-endian view of one tensor's bytes (no copy). */
    public ByteBuffer buffer(String name) {
        TensorInfo info = info(name);
        return data.slice((int) info.begin(), (int) info.byteLength()).order(ByteOrder.LITTLE_ENDIAN);
    }

    public RawTensor read(String name) {
        TensorInfo info = info(name);
        byte[] bytes = new byte[(int) info.byteLength()];
        buffer(name).get(bytes);
        return new RawTensor(info.dtype(), info.shape(), bytes);
    }
}
