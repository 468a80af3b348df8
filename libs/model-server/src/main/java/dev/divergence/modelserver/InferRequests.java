package dev.divergence.modelserver;

import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.modelserver.tensor.TensorFormatException;
import dev.divergence.modelserver.tensor.TensorType;
import dev.divergence.modelserver.tensor.TypedContents;
import dev.divergence.proto.triton.ModelConfig;
import dev.divergence.proto.triton.ModelInferRequest;
import dev.divergence.proto.triton.ModelInferRequest.InferInputTensor;
import dev.divergence.proto.triton.ModelInferRequest.InferRequestedOutputTensor;
import dev.divergence.proto.triton.ModelInput;
import dev.divergence.proto.triton.ModelOutput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a ModelInferRequest into checked input tensors and the set of outputs to return, with
 * the checks (and INVALID_ARGUMENT answers) Triton applies before a model ever runs.
 */
final class InferRequests {

    /** A request that passed every check: inputs keyed by name, outputs in response order, its batch size. */
    record Checked(Map<String, Tensor> inputs, Set<String> outputs, long batchSize, SequenceControl sequence) {
    }

    private InferRequests() {
    }

    static Checked check(ModelInferRequest request, ModelConfig config) {
        String model = config.getName();
        boolean raw = request.getRawInputContentsCount() > 0;
        if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
            throw InferenceException.invalidArgument("expected " + request.getInputsCount() + " tensors in raw_input_contents, one per input, but got "
                    + request.getRawInputContentsCount() + " for model '" + model + "'");
        }
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        long batchSize = -1;
        for (int i = 0; i < request.getInputsCount(); i++) {
            InferInputTensor input = request.getInputs(i);
            ModelInput declared = declaredInput(config, input.getName());
            TensorType type = checkDatatype(input, declared, model);
            long[] shape = input.getShapeList().stream().mapToLong(Long::longValue).toArray();
            checkShape(input.getName(), shape, declared.getDimsList(), config);
            if (batchSize >= 0 && shape[0] != batchSize) {
                throw InferenceException.invalidArgument("input '" + StatusDescriptions.echoed(input.getName()) + "' batch size does not match other inputs for '" + model + "'");
            }
            batchSize = shape[0];
            if (inputs.put(input.getName(), decode(input, type, shape, raw ? request.getRawInputContents(i) : null, model)) != null) {
                throw InferenceException.invalidArgument("input '" + StatusDescriptions.echoed(input.getName()) + "' appears more than once in the request for model '" + model + "'");
            }
        }
        List<String> missing = config.getInputList().stream().filter(in -> !in.getOptional() && !inputs.containsKey(in.getName()))
                .map(ModelInput::getName).toList();
        if (!missing.isEmpty()) {
            throw InferenceException.invalidArgument("expected " + config.getInputList().stream().filter(in -> !in.getOptional()).count()
                    + " inputs but got " + inputs.size() + " inputs for model '" + model + "'. Got input(s) " + StatusDescriptions.echoed(inputs.keySet().toString())
                    + ", but missing required input(s) " + missing);
        }
        return new Checked(inputs, requestedOutputs(request, config), batchSize, SequenceControl.from(request.getParametersMap()));
    }

    private static ModelInput declaredInput(ModelConfig config, String name) {
        return config.getInputList().stream().filter(in -> in.getName().equals(name)).findFirst()
                .orElseThrow(() -> InferenceException.invalidArgument("unexpected inference input '" + StatusDescriptions.echoed(name) + "' for model '" + config.getName() + "'"));
    }

    private static TensorType checkDatatype(InferInputTensor input, ModelInput declared, String model) {
        String expected = TensorType.wireNameOf(declared.getDataType());
        if (!input.getDatatype().equals(expected)) {
            throw InferenceException.invalidArgument("inference input '" + StatusDescriptions.echoed(input.getName()) + "' data-type is '" + StatusDescriptions.echoed(input.getDatatype())
                    + "', but model '" + model + "' expects '" + expected + "'");
        }
        return TensorType.fromWire(expected).orElseThrow(() -> InferenceException.invalidArgument(
                "inference input '" + StatusDescriptions.echoed(input.getName()) + "' has data-type '" + expected + "', which this server does not compute with"));
    }

    /** The request shape is [batch, dims...], batch in [1, max_batch_size], -1 in dims matching any size. */
    private static void checkShape(String name, long[] shape, List<Long> dims, ModelConfig config) {
        boolean matches = shape.length == dims.size() + 1 && shape[0] >= 1;
        for (int d = 0; matches && d < dims.size(); d++) {
            long want = dims.get(d);
            matches = shape[d + 1] >= 0 && (want == -1 || want == shape[d + 1]);
        }
        if (!matches) {
            List<Long> expected = new ArrayList<>();
            expected.add(-1L);
            expected.addAll(dims);
            throw InferenceException.invalidArgument("unexpected shape for input '" + StatusDescriptions.echoed(name) + "' for model '" + config.getName()
                    + "'. Expected " + expected + ", got " + Arrays.toString(shape));
        }
        if (shape[0] > config.getMaxBatchSize()) {
            throw InferenceException.invalidArgument("inference request batch-size must be <= " + config.getMaxBatchSize()
                    + " for '" + config.getName() + "'");
        }
    }

    private static Tensor decode(InferInputTensor input, TensorType type, long[] shape, com.google.protobuf.ByteString raw, String model) {
        try {
            if (raw != null) {
                if (input.hasContents()) {
                    throw InferenceException.invalidArgument("contents field must not be specified when using raw_input_contents for '"
                            + StatusDescriptions.echoed(input.getName()) + "' for model '" + model + "'");
                }
                return Tensor.ofRaw(type, shape, raw);
            }
            return TypedContents.decode(type, shape, input.getContents());
        } catch (TensorFormatException e) {
            throw InferenceException.invalidArgument("input '" + StatusDescriptions.echoed(input.getName()) + "' for model '" + model + "' " + e.getMessage());
        }
    }

    private static Set<String> requestedOutputs(ModelInferRequest request, ModelConfig config) {
        Set<String> outputs = new LinkedHashSet<>();
        if (request.getOutputsCount() == 0) {
            config.getOutputList().forEach(o -> outputs.add(o.getName()));
            return outputs;
        }
        for (InferRequestedOutputTensor requested : request.getOutputsList()) {
            Optional<ModelOutput> declared = config.getOutputList().stream().filter(o -> o.getName().equals(requested.getName())).findFirst();
            if (declared.isEmpty()) {
                throw InferenceException.invalidArgument("unexpected inference output '" + StatusDescriptions.echoed(requested.getName()) + "' for model '" + config.getName() + "'");
            }
            if (!requested.getParametersMap().isEmpty()) {
                throw InferenceException.invalidArgument("output '" + StatusDescriptions.echoed(requested.getName()) + "' of model '" + config.getName()
                        + "': output parameters " + requested.getParametersMap().keySet() + " (e.g. classification) are not supported by this server");
            }
            outputs.add(requested.getName());
        }
        return outputs;
    }
}
