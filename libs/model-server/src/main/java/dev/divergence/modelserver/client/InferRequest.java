package dev.divergence.modelserver.client;

import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.modelserver.tensor.TypedContents;
import dev.divergence.proto.triton.InferParameter;
import dev.divergence.proto.triton.ModelInferRequest;
import dev.divergence.proto.triton.ModelInferRequest.InferInputTensor;
import dev.divergence.proto.triton.ModelInferRequest.InferRequestedOutputTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An inference request built from {@link Tensor}s; encodes to raw bytes (or typed contents on request). */
public final class InferRequest {

    private final String model;
    private String version = "";
    private String id = "";
    private final Map<String, Tensor> inputs = new LinkedHashMap<>();
    private final List<String> outputs = new ArrayList<>();
    private final Map<String, InferParameter> parameters = new LinkedHashMap<>();

    private InferRequest(String model) {
        this.model = model;
    }

    public static InferRequest to(String model) {
        return new InferRequest(model);
    }

    public InferRequest version(String version) {
        this.version = version;
        return this;
    }

    public InferRequest id(String id) {
        this.id = id;
        return this;
    }

    public InferRequest input(String name, Tensor tensor) {
        inputs.put(name, tensor);
        return this;
    }

    /**
     * Marks the request as part of a sequence (Triton's sequence batching): the server keeps the
     * sequence's state, e.g. a KV cache, from the start request to the end request.
     */
    public InferRequest sequence(String sequenceId, boolean start, boolean end) {
        parameters.put("sequence_id", InferParameter.newBuilder().setStringParam(sequenceId).build());
        parameters.put("sequence_start", InferParameter.newBuilder().setBoolParam(start).build());
        parameters.put("sequence_end", InferParameter.newBuilder().setBoolParam(end).build());
        return this;
    }

    /**
     * A request parameter of any of Triton's kinds: Boolean, Long or Integer (int64), String,
     * Double, or {@link InferParameters.UnsignedLong} (uint64).
     */
    public InferRequest parameter(String name, Object value) {
        parameters.put(name, InferParameters.of(name, value));
        return this;
    }

    /** Asks for this output only (repeat for several); without any, the server returns all outputs. */
    public InferRequest output(String name) {
        outputs.add(name);
        return this;
    }

    /** Raw form: every tensor in raw_input_contents, the fast path Triton recommends. */
    public ModelInferRequest toProto() {
        ModelInferRequest.Builder request = header();
        inputs.forEach((name, tensor) -> {
            request.addInputs(inputHeader(name, tensor));
            request.addRawInputContents(tensor.raw());
        });
        return request.build();
    }

    /** Typed form: elements in InferTensorContents' repeated fields (not possible for FP16/BF16). */
    public ModelInferRequest toTypedProto() {
        ModelInferRequest.Builder request = header();
        inputs.forEach((name, tensor) -> request.addInputs(inputHeader(name, tensor).setContents(TypedContents.encode(tensor))));
        return request.build();
    }

    private ModelInferRequest.Builder header() {
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model).setModelVersion(version).setId(id)
                .putAllParameters(parameters);
        outputs.forEach(name -> request.addOutputs(InferRequestedOutputTensor.newBuilder().setName(name)));
        return request;
    }

    private static InferInputTensor.Builder inputHeader(String name, Tensor tensor) {
        InferInputTensor.Builder input = InferInputTensor.newBuilder().setName(name).setDatatype(tensor.type().wireName());
        for (long dim : tensor.shape()) {
            input.addShape(dim);
        }
        return input;
    }
}
