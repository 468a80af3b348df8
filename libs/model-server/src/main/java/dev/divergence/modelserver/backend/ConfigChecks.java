package dev.divergence.modelserver.backend;

import dev.divergence.modelserver.InferenceException;
import dev.divergence.modelserver.tensor.TensorType;
import dev.divergence.proto.triton.ModelConfig;
import dev.divergence.proto.triton.ModelInput;
import dev.divergence.proto.triton.ModelOutput;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Checks that a config.pbtxt describes what the model folder really computes, at load time. */
final class ConfigChecks {

    private ConfigChecks() {
    }

    static ModelInput requireInput(ModelConfig config, String name, List<TensorType> types, long[] dims) {
        return optionalInput(config, name, types, dims).orElseThrow(() -> invalid(config, "declares no input '" + name + "'"));
    }

    static Optional<ModelInput> optionalInput(ModelConfig config, String name, List<TensorType> types, long[] dims) {
        Optional<ModelInput> input = config.getInputList().stream().filter(i -> i.getName().equals(name)).findFirst();
        input.ifPresent(i -> {
            requireType(config, "input", name, i.getDataType(), types);
            requireDims(config, "input", name, i.getDimsList(), dims);
        });
        return input;
    }

    static ModelOutput requireOutput(ModelConfig config, String name, List<TensorType> types, long[] dims) {
        return optionalOutput(config, name, types, dims).orElseThrow(() -> invalid(config, "declares no output '" + name + "'"));
    }

    static Optional<ModelOutput> optionalOutput(ModelConfig config, String name, List<TensorType> types, long[] dims) {
        Optional<ModelOutput> output = config.getOutputList().stream().filter(o -> o.getName().equals(name)).findFirst();
        output.ifPresent(o -> {
            requireType(config, "output", name, o.getDataType(), types);
            requireDims(config, "output", name, o.getDimsList(), dims);
        });
        return output;
    }

    /** Inputs or outputs the backend would silently ignore are configuration errors. */
    static void requireOnly(ModelConfig config, List<String> inputs, List<String> outputs) {
        config.getInputList().stream().filter(i -> !inputs.contains(i.getName())).findFirst().ifPresent(i -> {
            throw invalid(config, "declares input '" + i.getName() + "' the model does not take; it takes " + inputs);
        });
        config.getOutputList().stream().filter(o -> !outputs.contains(o.getName())).findFirst().ifPresent(o -> {
            throw invalid(config, "declares output '" + o.getName() + "' the model does not produce; it produces " + outputs);
        });
        if (config.getMaxBatchSize() <= 0) {
            throw invalid(config, "needs max_batch_size > 0: these models always take a batch dimension");
        }
    }

    static TensorType typeOf(dev.divergence.proto.triton.DataType type) {
        return TensorType.fromConfig(type).orElseThrow();
    }

    private static void requireType(ModelConfig config, String kind, String name, dev.divergence.proto.triton.DataType type,
            List<TensorType> allowed) {
        Optional<TensorType> t = TensorType.fromConfig(type);
        if (t.isEmpty() || !allowed.contains(t.get())) {
            throw invalid(config, kind + " '" + name + "' has data_type " + type + ", expected one of "
                    + allowed.stream().map(a -> a.configType().name()).toList());
        }
    }

    private static void requireDims(ModelConfig config, String kind, String name, List<Long> declared, long[] expected) {
        long[] dims = declared.stream().mapToLong(Long::longValue).toArray();
        if (!Arrays.equals(dims, expected)) {
            throw invalid(config, kind + " '" + name + "' has dims " + Arrays.toString(dims) + " but the model needs "
                    + Arrays.toString(expected) + " (without the batch dimension)");
        }
    }

    private static InferenceException invalid(ModelConfig config, String problem) {
        return InferenceException.invalidArgument("load failed for model '" + config.getName() + "': config.pbtxt " + problem);
    }
}
