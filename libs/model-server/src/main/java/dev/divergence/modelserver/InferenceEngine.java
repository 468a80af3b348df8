package dev.divergence.modelserver;

import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.proto.triton.ModelInferRequest;
import dev.divergence.proto.triton.ModelInferResponse;
import dev.divergence.proto.triton.ModelInferResponse.InferOutputTensor;
import java.util.Map;

/** Runs one ModelInferRequest end to end and keeps the model's statistics. */
final class InferenceEngine {

    private final ServedModels models;

    InferenceEngine(ServedModels models) {
        this.models = models;
    }

    ModelInferResponse infer(ModelInferRequest request) {
        long start = System.nanoTime();
        LoadedVersion version = models.resolve(request.getModelName(), request.getModelVersion());
        try {
            InferRequests.Checked checked = InferRequests.check(request, version.config());
            long inputDone = System.nanoTime();
            DynamicBatcher.Executed executed = version.infer(checked.inputs(), checked.outputs(), checked.batchSize(), checked.sequence());
            Map<String, Tensor> outputs = executed.outputs();
            long inferDone = System.nanoTime();
            ModelInferResponse.Builder response = ModelInferResponse.newBuilder().setModelName(version.name())
                    .setModelVersion(Long.toString(version.version())).setId(request.getId());
            for (String name : checked.outputs()) {
                Tensor tensor = outputs.get(name);
                InferOutputTensor.Builder out = InferOutputTensor.newBuilder().setName(name).setDatatype(tensor.type().wireName());
                for (long dim : tensor.shape()) {
                    out.addShape(dim);
                }
                response.addOutputs(out).addRawOutputContents(tensor.raw());
            }
            ModelInferResponse built = response.build();
            long end = System.nanoTime();
            version.statistics().recordSuccess(checked.batchSize(), new InferenceStatistics.Timing(
                    executed.queueNs(), inputDone - start, executed.computeNs(), end - inferDone));
            return built;
        } catch (RuntimeException e) {
            version.statistics().recordFailure(System.nanoTime() - start);
            throw e;
        }
    }
}
