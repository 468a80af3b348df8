package dev.divergence.modelserver;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import com.google.protobuf.ByteString;
import dev.divergence.modelserver.client.ClientOptions;
import dev.divergence.modelserver.client.InferRequest;
import dev.divergence.modelserver.client.TritonClient;
import dev.divergence.modelserver.repository.RepositoryWriter;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.modelserver.tensor.TensorType;
import dev.divergence.proto.triton.DataType;
import dev.divergence.proto.triton.ModelConfig;
import dev.divergence.proto.triton.ModelInferResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The KServe v2 REST endpoints over a real HTTP socket, with JSON tensors and with Triton's binary
 * tensor data extension (bit-identical to the gRPC raw contents), against the same tiny models.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestEndpointTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final HttpClient http = HttpClient.newHttpClient();
    private NDManager manager;
    private ModelServer server;
    private Path repository;
    private TritonClient grpc;

    @BeforeAll
    void start() throws Exception {
        DjlRuntime.configure(Path.of("target/djl-cache"));
        manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
        TinyAssets assets = new TinyAssets(Path.of("target/tiny-assets"), new TinyAssets.Budget(40, 30));
        Path lm = assets.ensure(manager, TinyAssets.TINY_LM);
        Path cancer = assets.ensure(manager, TinyAssets.CANCER_STUDENT);
        Files.createDirectories(Path.of("target/tmp"));
        repository = Files.createTempDirectory(Path.of("target/tmp"), "rest-repository-");
        RepositoryWriter writer = new RepositoryWriter(repository);
        writer.write(RepositoryWriter.languageModelConfig("tiny-lm", lm, 4), 1, lm);
        ModelConfig cancerConfig = RepositoryWriter.classifierConfig("cancer", cancer, 4);
        writer.write(cancerConfig, 1, cancer);
        writer.write(cancerConfig.toBuilder().setName("cancer-half")
                .setInput(0, cancerConfig.getInput(0).toBuilder().setDataType(DataType.TYPE_FP16)).build(), 1, cancer);
        ModelConfig lmConfig = RepositoryWriter.languageModelConfig("tiny-lm", lm, 4);
        writer.write(lmConfig.toBuilder().setName("tiny-lm-bool-mask")
                .setInput(1, lmConfig.getInput(1).toBuilder().setDataType(DataType.TYPE_BOOL)).build(), 1, lm);
        server = ModelServer.start(repository, "127.0.0.1", new ModelServer.Ports(0, 0, -1),
                List.of("tiny-lm", "cancer", "cancer-half", "tiny-lm-bool-mask"));
        grpc = TritonClient.connect("127.0.0.1:" + server.port(), ClientOptions.defaults());
    }

    @AfterAll
    void stop() {
        if (grpc != null) {
            grpc.close();
        }
        if (server != null) {
            server.close();
        }
        if (manager != null) {
            manager.close();
        }
    }

    @Test
    void healthMetadataAndConfig() throws Exception {
        assertThat(get("/v2/health/live").statusCode()).isEqualTo(200);
        assertThat(get("/v2/health/ready").statusCode()).isEqualTo(200);
        assertThat(get("/v2/models/tiny-lm/ready").statusCode()).isEqualTo(200);
        assertThat(get("/v2/models/nope/ready").statusCode()).isEqualTo(400);
        assertThat(json(get("/v2")).path("extensions").toString()).contains("model_repository");
        JsonNode metadata = json(get("/v2/models/tiny-lm"));
        assertThat(metadata.path("inputs").get(0).path("datatype").asString()).isEqualTo("INT64");
        assertThat(json(get("/v2/models/tiny-lm/versions/1/config")).path("max_batch_size").asInt()).isEqualTo(4);
    }

    @Test
    void inferWithJsonTensorsMatchesGrpc() throws Exception {
        String body = """
                {"id": "r1", "inputs": [{"name": "input_ids", "datatype": "INT64", "shape": [1, 3], "data": [[1, 50, 51]]}]}""";
        HttpResponse<String> response = post("/v2/models/tiny-lm/infer", body);
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode out = json(response).path("outputs").get(0);
        assertThat(out.path("name").asString()).isEqualTo("logits");
        assertThat(out.path("shape").get(0).asInt()).isEqualTo(1);
        try (var client = dev.divergence.modelserver.client.TritonClient.connect("127.0.0.1:" + server.port(),
                dev.divergence.modelserver.client.ClientOptions.defaults())) {
            float[] grpc = client.infer(dev.divergence.modelserver.client.InferRequest.to("tiny-lm")
                    .input("input_ids", dev.divergence.modelserver.tensor.Tensor.int64(new long[] {1, 3}, 1, 50, 51))).output("logits").toFloats();
            for (int i = 0; i < grpc.length; i++) {
                assertThat((float) out.path("data").get(i).asDouble()).isEqualTo(grpc[i]);
            }
        }
        JsonNode labels = json(post("/v2/models/cancer/infer", """
                {"inputs": [{"name": "features", "datatype": "FP32", "shape": [1, 30], "data": %s}], "outputs": [{"name": "labels"}]}"""
                .formatted(java.util.Collections.nCopies(30, "1.0").toString()))).path("outputs").get(0);
        assertThat(labels.path("datatype").asString()).isEqualTo("BYTES");
        assertThat(labels.path("data").get(0).isString()).isTrue();
    }

    @Test
    void errorsMapToHttpStatuses() throws Exception {
        assertThat(post("/v2/models/nope/infer", "{\"inputs\": []}").statusCode()).isEqualTo(400);
        assertThat(post("/v2/models/tiny-lm/versions/9/infer", "{\"inputs\": []}").statusCode()).isEqualTo(404);
        HttpResponse<String> wrongType = post("/v2/models/tiny-lm/infer",
                "{\"inputs\": [{\"name\": \"input_ids\", \"datatype\": \"FP32\", \"shape\": [1, 1], \"data\": [1.0]}]}");
        assertThat(wrongType.statusCode()).isEqualTo(400);
        assertThat(json(wrongType).path("error").asString()).contains("data-type");
        assertThat(post("/v2/models/tiny-lm/infer", "{not json").statusCode()).isEqualTo(400);
    }

    @Test
    void shapesWithNegativeOrOverflowingDimensionsAreTheCallersError() throws Exception {
        // found by KServeRestFuzzTest: both were answered 500
        HttpResponse<String> negative = post("/v2/models/tiny-lm/infer",
                "{\"inputs\": [{\"name\": \"input_ids\", \"datatype\": \"INT64\", \"shape\": [-2147483648, 3], \"data\": [1, 2, 3]}]}");
        assertThat(negative.statusCode()).isEqualTo(400);
        assertThat(json(negative).path("error").asString()).contains("input 'input_ids'", "negative dimension");
        HttpResponse<String> overflowing = post("/v2/models/tiny-lm/infer",
                "{\"inputs\": [{\"name\": \"input_ids\", \"datatype\": \"INT64\", \"shape\": [4294967296, 4294967296], \"data\": [1]}]}");
        assertThat(overflowing.statusCode()).isEqualTo(400);
        assertThat(json(overflowing).path("error").asString()).contains("input 'input_ids'", "64-bit");
    }

    @Test
    void repositoryIndexLoadAndUnload() throws Exception {
        assertThat(post("/v2/repository/models/cancer/unload", "").statusCode()).isEqualTo(200);
        assertThat(get("/v2/models/cancer/ready").statusCode()).isEqualTo(400);
        assertThat(json(post("/v2/repository/index", "{}")).toString()).contains("\"name\":\"cancer\"", "UNAVAILABLE");
        assertThat(post("/v2/repository/models/cancer/load", "").statusCode()).isEqualTo(200);
        assertThat(get("/v2/models/cancer/ready").statusCode()).isEqualTo(200);
        assertThat(json(get("/v2/models/stats")).path("model_stats").isArray()).isTrue();
    }

    /** A body in the binary tensor data extension: JSON, then each blob in order. */
    private HttpResponse<byte[]> postBinary(String path, String json, ByteString... blobs) throws Exception {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        ByteString body = ByteString.copyFrom(header);
        for (ByteString blob : blobs) {
            body = body.concat(blob);
        }
        return http.send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                .header("Content-Type", "application/octet-stream").header("Inference-Header-Content-Length", Integer.toString(header.length))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The JSON header of a binary response and its output blobs, by output name in order. */
    private record BinaryReply(JsonNode json, Map<String, ByteString> blobs) {
    }

    private static BinaryReply binaryReply(HttpResponse<byte[]> response) {
        assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        int headerLength = Integer.parseInt(response.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
        assertThat(response.headers().firstValue("Content-Type")).contains("application/octet-stream");
        byte[] body = response.body();
        JsonNode json = JSON.readTree(new String(body, 0, headerLength, StandardCharsets.UTF_8));
        Map<String, ByteString> blobs = new LinkedHashMap<>();
        int at = headerLength;
        for (JsonNode output : json.path("outputs")) {
            JsonNode size = output.path("parameters").path("binary_data_size");
            if (!size.isMissingNode()) {
                blobs.put(output.path("name").asString(), ByteString.copyFrom(body, at, size.asInt()));
                at += size.asInt();
            }
        }
        assertThat(at).isEqualTo(body.length);
        return new BinaryReply(json, blobs);
    }

    private static String input(String name, String datatype, long[] shape, int binarySize) {
        return "{\"name\": \"%s\", \"datatype\": \"%s\", \"shape\": %s, \"parameters\": {\"binary_data_size\": %d}}"
                .formatted(name, datatype, Arrays.toString(shape), binarySize);
    }

    private static float[] features(int seed) {
        float[] values = new float[30];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.sin(seed * 31 + i) * 2.5f;
        }
        return values;
    }

    @Test
    void binaryFp32AndFp16InputsAndFp32AndBytesOutputsAreBitIdenticalToGrpcRaw() throws Exception {
        Tensor fp32 = Tensor.fp32(new long[] {1, 30}, features(1));
        BinaryReply reply = binaryReply(postBinary("/v2/models/cancer/infer",
                "{\"inputs\": [%s], \"parameters\": {\"binary_data_output\": true}}".formatted(input("features", "FP32", fp32.shape(), fp32.raw().size())),
                fp32.raw()));
        ModelInferResponse expected = grpc.infer(InferRequest.to("cancer").input("features", fp32).toProto());
        assertThat(reply.blobs().get("logits")).isEqualTo(expected.getRawOutputContents(0));
        assertThat(reply.blobs().get("labels")).isEqualTo(expected.getRawOutputContents(1)); // BYTES: length-prefixed elements
        assertThat(reply.json().path("outputs").get(1).path("datatype").asString()).isEqualTo("BYTES");

        Tensor fp16 = Tensor.fp16(new long[] {2, 30}, concat(features(2), features(3)));
        // binary_data on one output overrides binary_data_output: labels come back as JSON
        BinaryReply half = binaryReply(postBinary("/v2/models/cancer-half/infer",
                ("{\"inputs\": [%s], \"outputs\": [{\"name\": \"logits\"}, {\"name\": \"labels\", \"parameters\": {\"binary_data\": false}}],"
                        + " \"parameters\": {\"binary_data_output\": true}}").formatted(input("features", "FP16", fp16.shape(), fp16.raw().size())),
                fp16.raw()));
        ModelInferResponse expectedHalf = grpc.infer(InferRequest.to("cancer-half").input("features", fp16).toProto());
        assertThat(half.blobs().keySet()).containsExactly("logits");
        assertThat(half.blobs().get("logits")).isEqualTo(expectedHalf.getRawOutputContents(0));
        List<String> labels = new ArrayList<>();
        half.json().path("outputs").get(1).path("data").forEach(n -> labels.add(n.asString()));
        assertThat(labels).containsExactlyElementsOf(Tensor.ofRaw(TensorType.BYTES, new long[] {2, 1}, expectedHalf.getRawOutputContents(1))
                .toByteElements().stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList());
    }

    @Test
    void binaryInt64AndBoolInputsMixWithJsonInputs() throws Exception {
        long[] shape = {2, 3};
        Tensor ids = Tensor.int64(shape, 1, 50, 51, 7, 8, 9);
        Tensor boolMask = Tensor.bool(shape, false, true, true, true, true, true);
        Tensor int64Mask = Tensor.int64(shape, 0, 1, 1, 1, 1, 1);
        BinaryReply bool = binaryReply(postBinary("/v2/models/tiny-lm-bool-mask/infer",
                "{\"inputs\": [%s, %s], \"outputs\": [{\"name\": \"logits\", \"parameters\": {\"binary_data\": true}}]}"
                        .formatted(input("input_ids", "INT64", shape, ids.raw().size()), input("attention_mask", "BOOL", shape, boolMask.raw().size())),
                ids.raw(), boolMask.raw()));
        ByteString expected = grpc.infer(InferRequest.to("tiny-lm-bool-mask").input("input_ids", ids).input("attention_mask", boolMask)
                .toProto()).getRawOutputContents(0);
        assertThat(bool.blobs().get("logits")).isEqualTo(expected);
        assertThat(boolMask.raw().size()).isEqualTo(6); // one byte per BOOL element

        // input_ids as binary, attention_mask as JSON data: the blobs belong to the binary inputs only
        BinaryReply mixed = binaryReply(postBinary("/v2/models/tiny-lm/infer",
                ("{\"inputs\": [{\"name\": \"attention_mask\", \"datatype\": \"INT64\", \"shape\": [2, 3], \"data\": [0, 1, 1, 1, 1, 1]}, %s],"
                        + " \"parameters\": {\"binary_data_output\": true}}").formatted(input("input_ids", "INT64", shape, ids.raw().size())),
                ids.raw()));
        assertThat(mixed.blobs().get("logits")).isEqualTo(grpc.infer(InferRequest.to("tiny-lm").input("input_ids", ids)
                .input("attention_mask", int64Mask).toProto()).getRawOutputContents(0));

        // binary inputs, JSON outputs: a plain JSON response without the header
        HttpResponse<byte[]> jsonOut = postBinary("/v2/models/tiny-lm/infer",
                "{\"inputs\": [%s]}".formatted(input("input_ids", "INT64", shape, ids.raw().size())), ids.raw());
        assertThat(jsonOut.statusCode()).isEqualTo(200);
        assertThat(jsonOut.headers().firstValue("Inference-Header-Content-Length")).isEmpty();
        assertThat(JSON.readTree(jsonOut.body()).path("outputs").get(0).path("data").size()).isEqualTo(2 * 259);
    }

    @Test
    void binarySizesThatDoNotAddUpAre400() throws Exception {
        Tensor ids = Tensor.int64(new long[] {1, 3}, 1, 50, 51);
        String oneInput = "{\"inputs\": [%s]}".formatted(input("input_ids", "INT64", ids.shape(), ids.raw().size()));
        HttpResponse<byte[]> shortData = postBinary("/v2/models/tiny-lm/infer", oneInput, ids.raw().substring(0, 16));
        assertThat(shortData.statusCode()).isEqualTo(400);
        assertThat(errorOf(shortData)).contains("unexpected size for input 'input_ids'", "expecting 24 bytes");

        HttpResponse<byte[]> extra = postBinary("/v2/models/tiny-lm/infer", oneInput, ids.raw(), ByteString.copyFrom(new byte[] {1, 2, 3}));
        assertThat(extra.statusCode()).isEqualTo(400);
        assertThat(errorOf(extra)).contains("unexpected additional input data for model 'tiny-lm'");

        // declared and sent consistently, but not what [1, 3] INT64 needs
        String wrongSize = "{\"inputs\": [%s]}".formatted(input("input_ids", "INT64", ids.shape(), 16));
        HttpResponse<byte[]> tooSmall = postBinary("/v2/models/tiny-lm/infer", wrongSize, ids.raw().substring(0, 16));
        assertThat(tooSmall.statusCode()).isEqualTo(400);
        assertThat(errorOf(tooSmall)).contains("input 'input_ids'", "16 bytes", "needs 24");

        HttpResponse<byte[]> headerTooLong = http.send(HttpRequest.newBuilder(uri("/v2/models/tiny-lm/infer"))
                .POST(HttpRequest.BodyPublishers.ofString(oneInput)).header("Inference-Header-Content-Length", "100000").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(headerTooLong.statusCode()).isEqualTo(400);
        assertThat(errorOf(headerTooLong)).contains("inference header size should be in range");

        HttpResponse<byte[]> both = postBinary("/v2/models/tiny-lm/infer",
                "{\"inputs\": [{\"name\": \"input_ids\", \"datatype\": \"INT64\", \"shape\": [1, 3], \"data\": [1, 2, 3],"
                        + " \"parameters\": {\"binary_data_size\": 24}}]}", ids.raw());
        assertThat(both.statusCode()).isEqualTo(400);
        assertThat(errorOf(both)).contains("both 'data' and 'binary_data_size'");
        assertThat(json(get("/v2")).path("extensions").toString()).contains("binary_tensor_data");
    }

    private static String errorOf(HttpResponse<byte[]> response) {
        return JSON.readTree(response.body()).path("error").asString();
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.httpPort() + path);
    }

    private static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }
}
