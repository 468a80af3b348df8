package dev.divergence.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.InvalidModelException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Hugging Face checkpoint files: a single {@code model.safetensors} or shards listed in
 * {@code model.safetensors.index.json} ("weight_map": tensor name to shard file), as written by
 * {@code save_pretrained}. Converts between safetensors bytes and DJL NDArrays.
 */
public final class Checkpoints {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** Hugging Face's default shard size. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5L * 1000 * 1000 * 1000;

    private Checkpoints() {
    }

    /** Loads every tensor of a checkpoint folder (or one .safetensors file) onto {@code manager}. */
    public static Map<String, NDArray> load(NDManager manager, Path dirOrFile) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Path file : files(dirOrFile)) {
            SafeTensorsFile st = SafeTensorsFile.open(file);
            for (String name : st.tensors().keySet()) {
                if (out.containsKey(name)) {
                    throw new InvalidModelException(name, "appears in more than one shard");
                }
                out.put(name, toNDArray(manager, name, st.info(name), st.buffer(name)));
            }
        }
        return out;
    }

    /** The safetensors files that make up a checkpoint, in shard order. */
    public static List<Path> files(Path dirOrFile) {
        if (!Files.isDirectory(dirOrFile)) {
            if (!Files.isRegularFile(dirOrFile)) {
                throw new InvalidModelException(dirOrFile.toString(), "no such checkpoint file or folder");
            }
            return List.of(dirOrFile);
        }
        Path index = dirOrFile.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            List<Path> shards = new ArrayList<>();
            for (String shard : new TreeMap<>(weightMap(index)).values().stream().distinct().sorted().toList()) {
                Path p = dirOrFile.resolve(shard).normalize();
                if (!p.startsWith(dirOrFile.normalize()) || !Files.isRegularFile(p)) {
                    throw new InvalidModelException(INDEX_FILE, "shard '" + shard + "' is missing");
                }
                shards.add(p);
            }
            return shards;
        }
        Path single = dirOrFile.resolve(SINGLE_FILE);
        if (!Files.isRegularFile(single)) {
            throw new InvalidModelException(dirOrFile.toString(), "neither " + SINGLE_FILE + " nor " + INDEX_FILE + " found");
        }
        return List.of(single);
    }

    private static Map<String, String> weightMap(Path index) {
        JsonNode root;
        try {
            root = SafeTensorsFile.JSON.readTree(index.toFile());
        } catch (JacksonException e) {
            throw new InvalidModelException(INDEX_FILE, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new InvalidModelException(INDEX_FILE + ".weight_map", "missing or not an object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            if (!e.getValue().isString()) {
                throw new InvalidModelException(INDEX_FILE + ".weight_map." + e.getKey(), "must name a shard file");
            }
            out.put(e.getKey(), e.getValue().stringValue());
        }
        return out;
    }

    /**
     * Saves tensors in the layout {@code save_pretrained} uses: one file when it fits in
     * {@code maxShardBytes}, otherwise {@code model-0000i-of-0000n.safetensors} plus the index.
     */
    public static void save(Path dir, Map<String, NDArray> tensors, long maxShardBytes) {
        Map<String, RawTensor> raw = new TreeMap<>();
        tensors.forEach((name, array) -> raw.put(name, toRaw(name, array)));
        Map<String, String> metadata = Map.of("format", "pt");
        List<Map<String, RawTensor>> shards = new ArrayList<>();
        Map<String, RawTensor> current = new TreeMap<>();
        long currentBytes = 0;
        for (Map.Entry<String, RawTensor> e : raw.entrySet()) {
            long size = e.getValue().data().length;
            if (!current.isEmpty() && currentBytes + size > maxShardBytes) {
                shards.add(current);
                current = new TreeMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), e.getValue());
            currentBytes += size;
        }
        shards.add(current);
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve(INDEX_FILE));
            if (shards.size() == 1) {
                SafeTensorsWriter.write(dir.resolve(SINGLE_FILE), shards.get(0), metadata);
                return;
            }
            Files.deleteIfExists(dir.resolve(SINGLE_FILE));
            ObjectNode index = SafeTensorsFile.JSON.createObjectNode();
            long total = raw.values().stream().mapToLong(t -> t.data().length).sum();
            index.putObject("metadata").put("total_size", total);
            ObjectNode weightMap = index.putObject("weight_map");
            for (int i = 0; i < shards.size(); i++) {
                String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
                SafeTensorsWriter.write(dir.resolve(name), shards.get(i), metadata);
                for (String tensor : shards.get(i).keySet()) {
                    weightMap.put(tensor, name);
                }
            }
            Files.writeString(dir.resolve(INDEX_FILE),
                    SafeTensorsFile.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint to " + dir, e);
        }
    }

    public static RawTensor toRaw(String name, NDArray array) {
        SafeTensorDType dtype = SafeTensorDType.of(name, array.getDataType());
        ByteBuffer buf = array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        return new RawTensor(dtype, array.getShape().getShape(), bytes);
    }

    public static NDArray toNDArray(NDManager manager, String name, RawTensor raw) {
        ByteBuffer buf = ByteBuffer.allocateDirect(raw.data().length).order(ByteOrder.nativeOrder());
        buf.put(raw.data()).flip();
        return create(manager, name, raw.dtype(), raw.shape(), buf);
    }

    static NDArray toNDArray(NDManager manager, String name, TensorInfo info, ByteBuffer bytes) {
        ByteBuffer buf = ByteBuffer.allocateDirect(bytes.remaining()).order(ByteOrder.nativeOrder());
        buf.put(bytes.duplicate()).flip();
        return create(manager, name, info.dtype(), info.shape(), buf);
    }

    private static NDArray create(NDManager manager, String name, SafeTensorDType dtype, long[] shape, ByteBuffer buf) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("big-endian hosts are not supported");
        }
        NDArray array = manager.create(buf, new Shape(shape), dtype.djlType());
        array.setName(name);
        return array;
    }
}
