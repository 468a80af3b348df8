package dev.divergence.modelserver;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.modelserver.tensor.TensorFormatException;
import dev.divergence.modelserver.tensor.TensorType;
import dev.divergence.proto.triton.InferParameter;
import dev.divergence.proto.triton.ModelInferRequest;
import dev.divergence.proto.triton.ModelInferRequest.InferInputTensor;
import dev.divergence.proto.triton.ModelInferRequest.InferRequestedOutputTensor;
import dev.divergence.proto.triton.ModelInferResponse;
import dev.divergence.proto.triton.RepositoryIndexResponse.ModelIndex;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The KServe v2 REST protocol as Triton serves it on port 8000, with JSON tensors and Triton's
 * binary tensor data extension ({@link BinaryTensorData}): inputs may travel as raw bytes after
 * the JSON, and outputs come back that way when the request asks ({@code binary_data} on an
 * output, {@code binary_data_output} on the request). Errors are {@code {"error": "..."}} with the
 * HTTP status matching the gRPC code: INVALID_ARGUMENT 400, NOT_FOUND 404, UNAVAILABLE 503, else 500.
 */
final class RestEndpoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RestEndpoint.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern MODEL = Pattern.compile("/v2/models/([^/]+)(?:/versions/([0-9]+))?(/ready|/config|/infer|/stats)?");
    private static final Pattern REPOSITORY = Pattern.compile("/v2/repository/models/([^/]+)/(load|unload)");

    /**
     * A reply: HTTP status and body, JSON (empty for probes) or, with {@code jsonLength} >= 0, a
     * JSON header of that many bytes followed by binary tensor data.
     */
    private record Reply(int status, byte[] body, int jsonLength) {
        Reply(int status, String body) {
            this(status, body.getBytes(StandardCharsets.UTF_8), -1);
        }

        static Reply json(Object node) {
            return new Reply(200, node.toString());
        }

        static Reply proto(MessageOrBuilder message) {
            try {
                return new Reply(200, JsonFormat.printer().preservingProtoFieldNames().print(message));
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private final ServedModels models;
    private final InferenceEngine engine;
    private final java.util.function.Supplier<Boolean> ready;
    private final HttpServer http;

    RestEndpoint(ServedModels models, java.util.function.Supplier<Boolean> ready, InetSocketAddress address) {
        this.models = models;
        this.engine = new InferenceEngine(models);
        this.ready = ready;
        try {
            this.http = HttpServer.create(address, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the HTTP port " + address, e);
        }
        http.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("kserve-http-", 0).factory()));
        http.createContext("/v2", this::handle);
        http.start();
    }

    int port() {
        return http.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        Reply reply;
        try {
            reply = route(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), exchange);
        } catch (InferenceException e) {
            reply = error(httpStatus(e.code()), e.getMessage());
        } catch (JacksonException | IllegalArgumentException e) {
            reply = error(400, "malformed request: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("REST request {} failed", exchange.getRequestURI(), e);
            reply = error(500, e.getMessage());
        }
        byte[] body = reply.body();
        if (reply.jsonLength() >= 0) {
            exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
            exchange.getResponseHeaders().set(BinaryTensorData.HEADER_LENGTH, Integer.toString(reply.jsonLength()));
        } else if (body.length > 0) {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
        }
        exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private Reply route(String method, String path, HttpExchange exchange) throws IOException {
        boolean get = method.equals("GET");
        boolean post = method.equals("POST");
        if (get && path.equals("/v2/health/live")) {
            return new Reply(200, "");
        }
        if (get && path.equals("/v2/health/ready")) {
            return new Reply(ready.get() ? 200 : 400, "");
        }
        if (get && (path.equals("/v2") || path.equals("/v2/"))) {
            return Reply.proto(dev.divergence.proto.triton.ServerMetadataResponse.newBuilder().setName(InferenceService.SERVER_NAME)
                    .setVersion(InferenceService.SERVER_VERSION).addAllExtensions(InferenceService.EXTENSIONS));
        }
        if (get && path.equals("/v2/models/stats")) {
            return Reply.proto(InferenceService.statistics(models, "", ""));
        }
        if (post && path.equals("/v2/repository/index")) {
            boolean readyOnly = false;
            JsonNode body = readJson(exchange);
            if (body != null && body.has("ready")) {
                readyOnly = body.get("ready").asBoolean();
            }
            ArrayNode index = JSON.createArrayNode();
            for (ModelIndex model : models.index(readyOnly)) {
                ObjectNode entry = index.addObject().put("name", model.getName());
                if (!model.getVersion().isEmpty()) {
                    entry.put("version", model.getVersion());
                }
                if (!model.getState().isEmpty()) {
                    entry.put("state", model.getState());
                }
                if (!model.getReason().isEmpty()) {
                    entry.put("reason", model.getReason());
                }
            }
            return Reply.json(index);
        }
        Matcher repository = REPOSITORY.matcher(path);
        if (post && repository.matches()) {
            JsonNode body = readJson(exchange);
            if (body != null && body.has("parameters") && !body.get("parameters").isEmpty()) {
                throw InferenceException.invalidArgument("failed to load '" + repository.group(1)
                        + "': load parameters (config or file overrides) are not supported by this server");
            }
            if (repository.group(2).equals("load")) {
                models.load(repository.group(1));
            } else {
                models.unload(repository.group(1));
            }
            return new Reply(200, "");
        }
        Matcher model = MODEL.matcher(path);
        if (model.matches()) {
            String name = model.group(1);
            String version = model.group(2) == null ? "" : model.group(2);
            String action = model.group(3) == null ? "" : model.group(3);
            switch (action) {
                case "" -> {
                    if (get) {
                        return Reply.proto(InferenceService.metadata(models.resolve(name, version)));
                    }
                }
                case "/ready" -> {
                    if (get) {
                        return new Reply(models.isReady(name, version) ? 200 : 400, "");
                    }
                }
                case "/config" -> {
                    if (get) {
                        return Reply.proto(models.resolve(name, version).config());
                    }
                }
                case "/stats" -> {
                    if (get) {
                        return Reply.proto(InferenceService.statistics(models, name, version));
                    }
                }
                case "/infer" -> {
                    if (post) {
                        byte[] bytes;
                        try (InputStream in = exchange.getRequestBody()) {
                            bytes = in.readAllBytes();
                        }
                        String headerLength = exchange.getRequestHeaders().getFirst(BinaryTensorData.HEADER_LENGTH);
                        return infer(name, version, headerLength == null ? BinaryTensorData.Body.json(bytes)
                                : BinaryTensorData.Body.withHeader(bytes, headerLength));
                    }
                }
                default -> {
                }
            }
        }
        return error(404, "no route for " + method + " " + path);
    }

    private Reply infer(String model, String version, BinaryTensorData.Body content) {
        String header = content.header();
        JsonNode body = header.isBlank() ? null : JSON.readTree(header);
        if (body == null) {
            throw InferenceException.invalidArgument("an inference request needs a JSON body");
        }
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model).setModelVersion(version)
                .setId(body.path("id").asString(""));
        body.path("parameters").properties().stream().filter(p -> !p.getKey().equals(BinaryTensorData.BINARY_DATA_OUTPUT))
                .forEach(p -> request.putParameters(p.getKey(), parameter(p.getKey(), p.getValue())));
        for (JsonNode input : body.path("inputs")) {
            String name = input.path("name").asString("");
            String datatype = input.path("datatype").asString("");
            long[] shape = longs(input.path("shape"));
            JsonNode binarySize = input.path("parameters").path(BinaryTensorData.BINARY_DATA_SIZE);
            ByteString raw;
            if (binarySize.isMissingNode()) {
                raw = tensor(name, datatype, shape, input.path("data")).raw();
            } else {
                if (!binarySize.isIntegralNumber()) {
                    throw InferenceException.invalidArgument("Unable to parse 'binary_data_size' of input '" + name + "': expected an integer");
                }
                if (input.has("data")) {
                    throw InferenceException.invalidArgument("input '" + name + "' for model '" + model
                            + "' has both 'data' and 'binary_data_size'; send its elements one way");
                }
                raw = content.take(name, binarySize.asLong(), model);
            }
            InferInputTensor.Builder tensorHeader = InferInputTensor.newBuilder().setName(name).setDatatype(datatype);
            for (long dim : shape) {
                tensorHeader.addShape(dim);
            }
            request.addInputs(tensorHeader).addRawInputContents(raw);
        }
        content.requireConsumed(model);
        boolean allBinary = flag(body.path("parameters"), BinaryTensorData.BINARY_DATA_OUTPUT, false);
        java.util.Map<String, Boolean> binaryOutputs = new java.util.HashMap<>();
        for (JsonNode output : body.path("outputs")) {
            String name = output.path("name").asString("");
            binaryOutputs.put(name, flag(output.path("parameters"), BinaryTensorData.BINARY_DATA, allBinary));
            request.addOutputs(InferRequestedOutputTensor.newBuilder().setName(name));
        }
        ModelInferResponse response = engine.infer(request.build());
        ObjectNode out = JSON.createObjectNode().put("model_name", response.getModelName()).put("model_version", response.getModelVersion());
        if (!response.getId().isEmpty()) {
            out.put("id", response.getId());
        }
        ArrayNode outputs = out.putArray("outputs");
        List<ByteString> blobs = new ArrayList<>();
        for (int i = 0; i < response.getOutputsCount(); i++) {
            var tensorHeader = response.getOutputs(i);
            ByteString raw = response.getRawOutputContents(i);
            ObjectNode o = outputs.addObject().put("name", tensorHeader.getName()).put("datatype", tensorHeader.getDatatype());
            ArrayNode shape = o.putArray("shape");
            tensorHeader.getShapeList().forEach(shape::add);
            if (binaryOutputs.getOrDefault(tensorHeader.getName(), allBinary)) {
                o.putObject("parameters").put(BinaryTensorData.BINARY_DATA_SIZE, raw.size());
                blobs.add(raw);
            } else {
                Tensor tensor = Tensor.ofRaw(TensorType.fromWire(tensorHeader.getDatatype()).orElseThrow(),
                        tensorHeader.getShapeList().stream().mapToLong(Long::longValue).toArray(), raw);
                writeData(o.putArray("data"), tensor);
            }
        }
        if (blobs.isEmpty()) {
            return Reply.json(out);
        }
        String json = out.toString();
        return new Reply(200, BinaryTensorData.response(json, blobs), json.getBytes(StandardCharsets.UTF_8).length);
    }

    private static boolean flag(JsonNode parameters, String name, boolean otherwise) {
        JsonNode value = parameters.path(name);
        if (value.isMissingNode()) {
            return otherwise;
        }
        if (!value.isBoolean()) {
            throw InferenceException.invalidArgument("Unable to parse '" + name + "': expected true or false");
        }
        return value.asBoolean();
    }

    /** JSON elements (flat or nested row-major) to a tensor of the declared type. */
    private static Tensor tensor(String name, String datatype, long[] shape, JsonNode data) {
        TensorType type = TensorType.fromWire(datatype).orElseThrow(() -> InferenceException.invalidArgument(
                "input '" + name + "' has datatype '" + datatype + "', which this server does not compute with"));
        List<JsonNode> flat = new ArrayList<>();
        flatten(data, flat);
        long expected;
        try {
            expected = Tensor.elementCount(shape);
        } catch (TensorFormatException e) {
            throw InferenceException.invalidArgument("input '" + StatusDescriptions.echoed(name) + "' " + e.getMessage());
        }
        if (flat.size() != expected) {
            throw InferenceException.invalidArgument("input '" + name + "' has " + flat.size() + " elements in data but its shape needs " + expected);
        }
        return switch (type) {
            case FP32, FP16, BF16 -> {
                float[] values = new float[flat.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) number(name, flat.get(i)).asDouble();
                }
                yield Tensor.floats(type, shape, values);
            }
            case INT64 -> Tensor.int64(shape, flat.stream().mapToLong(n -> number(name, n).asLong()).toArray());
            case INT32 -> Tensor.int32(shape, flat.stream().mapToInt(n -> number(name, n).asInt()).toArray());
            case BOOL -> {
                boolean[] values = new boolean[flat.size()];
                for (int i = 0; i < values.length; i++) {
                    if (!flat.get(i).isBoolean()) {
                        throw InferenceException.invalidArgument("input '" + name + "' expects true/false elements");
                    }
                    values[i] = flat.get(i).asBoolean();
                }
                yield Tensor.bool(shape, values);
            }
            case BYTES -> Tensor.bytes(shape, flat.stream().map(n -> n.asString().getBytes(StandardCharsets.UTF_8)).toList());
        };
    }

    private static JsonNode number(String input, JsonNode node) {
        if (!node.isNumber()) {
            throw InferenceException.invalidArgument("input '" + input + "' expects numeric elements, got " + node);
        }
        return node;
    }

    private static void flatten(JsonNode node, List<JsonNode> out) {
        if (node.isArray()) {
            node.forEach(child -> flatten(child, out));
        } else if (!node.isMissingNode()) {
            out.add(node);
        }
    }

    private static void writeData(ArrayNode data, Tensor tensor) {
        switch (tensor.type()) {
            case FP32, FP16, BF16 -> {
                for (float v : tensor.toFloats()) {
                    data.add(v);
                }
            }
            case INT64, INT32 -> {
                for (long v : tensor.toLongs()) {
                    data.add(v);
                }
            }
            case BOOL -> {
                for (boolean v : tensor.toBooleans()) {
                    data.add(v);
                }
            }
            case BYTES -> tensor.toByteElements().forEach(b -> data.add(new String(b, StandardCharsets.UTF_8)));
        }
    }

    /**
     * A JSON request parameter as the InferParameter kind Triton's HTTP frontend gives it: integers
     * that fit int64 as int64_param, larger ones up to 2^64 - 1 as uint64_param (correlation ids are
     * unsigned there), other numbers as double_param.
     */
    static InferParameter parameter(String name, JsonNode value) {
        if (value.isBoolean()) {
            return InferParameter.newBuilder().setBoolParam(value.asBoolean()).build();
        }
        if (value.isIntegralNumber()) {
            if (value.canConvertToLong()) {
                return InferParameter.newBuilder().setInt64Param(value.asLong()).build();
            }
            java.math.BigInteger big = value.bigIntegerValue();
            if (big.signum() > 0 && big.bitLength() <= 64) {
                return InferParameter.newBuilder().setUint64Param(big.longValue()).build();
            }
            throw InferenceException.invalidArgument("parameter '" + name + "' is outside the int64 and uint64 ranges: " + big);
        }
        if (value.isNumber()) {
            double number = value.asDouble();
            if (!Double.isFinite(number)) {
                throw InferenceException.invalidArgument("parameter '" + name + "' is not a finite number: " + value);
            }
            return InferParameter.newBuilder().setDoubleParam(number).build();
        }
        if (value.isString()) {
            return InferParameter.newBuilder().setStringParam(value.asString()).build();
        }
        throw InferenceException.invalidArgument("parameter '" + name + "' must be a bool, a number or a string");
    }

    private static long[] longs(JsonNode array) {
        List<Long> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asLong()));
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static JsonNode readJson(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readAllBytes();
            return bytes.length == 0 ? null : JSON.readTree(bytes);
        }
    }

    private static Reply error(int status, String message) {
        return new Reply(status, JSON.createObjectNode().put("error", message == null ? "" : message).toString());
    }

    static int httpStatus(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT -> 400;
            case NOT_FOUND -> 404;
            case UNAVAILABLE -> 503;
            case UNIMPLEMENTED -> 501;
            default -> 500;
        };
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
