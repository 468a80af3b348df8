package dev.divergence.modelserver.client;

import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.modelserver.tensor.TensorType;
import dev.divergence.modelserver.tensor.TypedContents;
import dev.divergence.proto.triton.ModelInferResponse;
import dev.divergence.proto.triton.ModelInferResponse.InferOutputTensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The decoded outputs of a ModelInferResponse, from raw_output_contents or typed contents, and its
 * parameters as Java values ({@link InferParameters}).
 */
public record InferResult(String model, String version, String id, Map<String, Tensor> outputs, Map<String, Object> parameters) {

    public static InferResult from(ModelInferResponse response) {
        boolean raw = response.getRawOutputContentsCount() > 0;
        if (raw && response.getRawOutputContentsCount() != response.getOutputsCount()) {
            throw new IllegalStateException("response has " + response.getOutputsCount() + " outputs but "
                    + response.getRawOutputContentsCount() + " raw_output_contents");
        }
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        for (int i = 0; i < response.getOutputsCount(); i++) {
            InferOutputTensor output = response.getOutputs(i);
            TensorType type = TensorType.fromWire(output.getDatatype())
                    .orElseThrow(() -> new IllegalStateException("output '" + output.getName() + "' has unsupported datatype " + output.getDatatype()));
            long[] shape = output.getShapeList().stream().mapToLong(Long::longValue).toArray();
            outputs.put(output.getName(), raw ? Tensor.ofRaw(type, shape, response.getRawOutputContents(i))
                    : TypedContents.decode(type, shape, output.getContents()));
        }
        return new InferResult(response.getModelName(), response.getModelVersion(), response.getId(), Map.copyOf(outputs),
                java.util.Collections.unmodifiableMap(InferParameters.values(response.getParametersMap())));
    }

    public Tensor output(String name) {
        Tensor tensor = outputs.get(name);
        if (tensor == null) {
            throw new NoSuchElementException("no output '" + name + "' in the response; got " + outputs.keySet());
        }
        return tensor;
    }
}
