package dev.divergence.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.Parameters;
import dev.divergence.model.TestSupport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

class SafeTensorsTest {

    private static NDManager manager;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        manager = TestSupport.newManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @Test
    void writesAFileThatReadsBackBitIdenticallyForEveryDtype() {
        SplittableRandom random = new SplittableRandom(1);
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        long[][] shapes = {{3, 5}, {7}, {2, 2, 3}, {}, {0, 4}};
        int i = 0;
        for (SafeTensorDType dtype : SafeTensorDType.values()) {
            long[] shape = shapes[i++ % shapes.length];
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            byte[] data = new byte[(int) (n * dtype.bytes())];
            random.nextBytes(data);
            if (dtype == SafeTensorDType.BF16 || dtype == SafeTensorDType.F16 || dtype == SafeTensorDType.F32
                    || dtype == SafeTensorDType.F64) {
                // random bits may be NaN, whose payload a float conversion need not keep: use real numbers
                data = floats(dtype, (int) n, random);
            }
            if (dtype == SafeTensorDType.BOOL) {
                for (int j = 0; j < data.length; j++) {
                    data[j] &= 1;
                }
            }
            tensors.put("t." + dtype.name().toLowerCase(), new RawTensor(dtype, shape, data));
        }
        Path file = dir.resolve("all.safetensors");
        SafeTensorsWriter.write(file, tensors, Map.of("format", "pt"));
        SafeTensorsFile read = SafeTensorsFile.open(file);
        assertThat(read.metadata()).containsEntry("format", "pt");
        assertThat(read.tensors().keySet()).containsExactlyInAnyOrderElementsOf(tensors.keySet());
        tensors.forEach((name, t) -> assertThat(read.read(name)).as(name).isEqualTo(t));

        // and through NDArrays: bf16 / i16 are widened on load (the engine cannot hold them)
        // and narrowed again on save, so every dtype survives bit for bit
        Path again = dir.resolve("again");
        try (Parameters params = Parameters.load(manager, file)) {
            assertThat(params.get("t.bf16").getDataType()).isEqualTo(DataType.FLOAT32);
            params.save(again);
        }
        SafeTensorsFile reread = SafeTensorsFile.open(again.resolve(Checkpoints.SINGLE_FILE));
        tensors.forEach((name, t) -> assertThat(reread.read(name)).as(name).isEqualTo(t));
    }

    @Test
    void headerFollowsTheStandardLayout() throws IOException {
        Map<String, RawTensor> tensors = Map.of(
                "b", new RawTensor(SafeTensorDType.F32, new long[] {2}, new byte[8]),
                "a", new RawTensor(SafeTensorDType.I64, new long[] {1, 1}, new byte[8]),
                "c.odd", new RawTensor(SafeTensorDType.U8, new long[] {3}, new byte[3]));
        Path file = dir.resolve("layout.safetensors");
        SafeTensorsWriter.write(file, tensors, Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(file);
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLen % 8).isZero();
        String header = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        assertThat(header).startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"I64\",\"shape\":[1,1],\"data_offsets\":[0,8]}");
        JsonNode root = SafeTensorsFile.JSON.readTree(header.strip());
        assertThat(root.get("b").get("data_offsets").get(0).asLong()).isEqualTo(8);
        assertThat(root.get("c.odd").get("data_offsets").get(1).asLong()).isEqualTo(19);
        assertThat(bytes.length).isEqualTo(8 + headerLen + 19);
    }

    @Test
    void pythonWrittenCheckpointIsRewrittenByteForByte() throws IOException {
        Path golden = TestSupport.resource("golden/qwen2_tied_bias/model.safetensors");
        Map<String, NDArray> arrays = Checkpoints.load(manager, golden);
        Path out = dir.resolve("rewritten");
        Checkpoints.save(out, arrays, Checkpoints.DEFAULT_MAX_SHARD_BYTES);
        assertThat(Files.readAllBytes(out.resolve(Checkpoints.SINGLE_FILE))).isEqualTo(Files.readAllBytes(golden));
        arrays.values().forEach(NDArray::close);
    }

    @Test
    void shardedCheckpointsRoundTripThroughTheIndex() throws IOException {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            arrays.put("layer." + i + ".weight", manager.randomNormal(new Shape(16, 8)));
        }
        Checkpoints.save(dir, arrays, 1200);
        assertThat(Files.exists(dir.resolve(Checkpoints.INDEX_FILE))).isTrue();
        List<Path> shards = Checkpoints.files(dir);
        assertThat(shards).hasSizeGreaterThan(1);
        assertThat(shards.get(0).getFileName().toString()).matches("model-00001-of-0000\\d\\.safetensors");
        Map<String, NDArray> loaded = Checkpoints.load(manager, dir);
        assertThat(loaded.keySet()).containsExactlyInAnyOrderElementsOf(arrays.keySet());
        arrays.forEach((name, a) -> assertThat(loaded.get(name).toFloatArray()).isEqualTo(a.toFloatArray()));
    }

    @Test
    void corruptFilesAreRejectedNamingTheTensor() throws IOException {
        assertThatThrownBy(() -> open("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 12))
                .isInstanceOf(InvalidModelException.class).hasMessageContaining("w:").hasMessageContaining("needs 16 bytes");
        assertThatThrownBy(() -> open("{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1))
                .hasMessageContaining("w:").hasMessageContaining("unsupported safetensors dtype 'Q4'");
        assertThatThrownBy(() -> open("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[2,3]}}", 3))
                .hasMessageContaining("b:").hasMessageContaining("gap or overlap");
        assertThatThrownBy(() -> open("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 5))
                .hasMessageContaining("data section has 5");
        assertThatThrownBy(() -> open("not json", 0)).hasMessageContaining("not valid JSON");
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2});
        assertThatThrownBy(() -> SafeTensorsFile.open(tiny)).hasMessageContaining("tiny.safetensors");
        assertThatThrownBy(() -> Checkpoints.files(dir.resolve("nowhere"))).hasMessageContaining("nowhere");
    }

    /** n random little-endian numbers of a floating dtype (bf16 / f16 built from float bits). */
    private static byte[] floats(SafeTensorDType dtype, int n, SplittableRandom random) {
        ByteBuffer out = ByteBuffer.allocate(n * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            float v = (float) (random.nextDouble() * 20 - 10);
            switch (dtype) {
                case F64 -> out.putDouble(random.nextDouble() * 20 - 10);
                case F32 -> out.putFloat(v);
                case F16 -> out.putShort(Float.floatToFloat16(v));
                default -> out.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
            }
        }
        return out.array();
    }

    private SafeTensorsFile open(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        Path file = dir.resolve("bad.safetensors");
        Files.write(file, buf.array());
        return SafeTensorsFile.open(file);
    }
}
