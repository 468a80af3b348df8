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
        save(dir, tensors, Map.of(), maxShardBytes);
    }

    /** As {@link #save(Path, Map, long)}, storing the named tensors as the given dtypes. */
    public static void save(Path dir, Map<String, NDArray> tensors, Map<String, SafeTensorDType> storeAs, long maxShardBytes) {
        Map<String, RawTensor> raw = new TreeMap<>();
        tensors.forEach((name, array) -> raw.put(name, toRaw(name, array, storeAs.get(name))));
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

    /**
     * Like {@link #toRaw(String, NDArray)} but stored as {@code target}: the way back for tensors
     * that were widened on load (bf16 held as f32, i16 as i32), so a bf16 checkpoint is saved as
     * bf16 again, bit for bit when the values were not changed.
     */
    public static RawTensor toRaw(String name, NDArray array, SafeTensorDType target) {
        RawTensor raw = toRaw(name, array);
        if (target == null || target == raw.dtype()) {
            return raw;
        }
        if (target == SafeTensorDType.BF16 && raw.dtype() == SafeTensorDType.F32) {
            return new RawTensor(target, raw.shape(), HostNumerics.f32ToBf16(raw.data()));
        }
        if (target == SafeTensorDType.I16 && raw.dtype() == SafeTensorDType.I32) {
            return new RawTensor(target, raw.shape(), HostNumerics.i32ToI16(name, raw.data()));
        }
        if (target != SafeTensorDType.BF16 && target != SafeTensorDType.I16) {
            try (NDArray converted = array.toType(target.djlType(), false)) {
                return toRaw(name, converted);
            }
        }
        throw new InvalidModelException(name, "cannot store a " + raw.dtype() + " array as " + target);
    }

    public static NDArray toNDArray(NDManager manager, String name, RawTensor raw) {
        return toNDArray(manager, name, new TensorInfo(name, raw.dtype(), raw.shape(), 0, raw.data().length),
                ByteBuffer.wrap(raw.data()).order(ByteOrder.LITTLE_ENDIAN));
    }

    /**
     * libtorch through DJL 0.36 aborts the JVM when asked to create bf16 or int16 tensors, so
     * those are widened on the host first (bf16 to f32 and i16 to i32 are exact).
     */
    static NDArray toNDArray(NDManager manager, String name, TensorInfo info, ByteBuffer bytes) {
        SafeTensorDType dtype = info.dtype();
        byte[] data = new byte[bytes.remaining()];
        bytes.duplicate().get(data);
        if (dtype == SafeTensorDType.BF16) {
            data = HostNumerics.bf16ToF32(data);
            dtype = SafeTensorDType.F32;
        } else if (dtype == SafeTensorDType.I16) {
            data = HostNumerics.i16ToI32(data);
            dtype = SafeTensorDType.I32;
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(data.length).order(ByteOrder.nativeOrder());
        buf.put(data).flip();
        return create(manager, name, dtype, info.shape(), buf);
    }

    /** The dtype each tensor has on disk (header only, no data read). */
    public static Map<String, SafeTensorDType> storedTypes(Path dirOrFile) {
        Map<String, SafeTensorDType> out = new LinkedHashMap<>();
        for (Path file : files(dirOrFile)) {
            SafeTensorsFile.open(file).tensors().forEach((name, info) -> out.put(name, info.dtype()));
        }
        return out;
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
