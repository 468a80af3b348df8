package dev.divergence.proto.triton;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor.Type;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.TextFormat;
import org.junit.jupiter.api.Test;

/**
 * The Triton protocol is only useful if its wire form equals Triton's: these are facts read from
 * Triton's published protos. A renumbered field would still compile and round-trip here but
 * silently garble every exchange with a real Triton server.
 */
class TritonWireFactsTest {

    @Test
    void serviceIsInferenceGrpcInferenceServiceWithTheTritonMethods() {
        ServiceDescriptor service = TritonGrpcServiceProto.getDescriptor().findServiceByName("GRPCInferenceService");
        assertThat(service.getFullName()).isEqualTo("inference.GRPCInferenceService");
        assertThat(service.getMethods()).extracting(m -> m.getName()).contains(
                "ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata", "ModelInfer",
                "ModelStreamInfer", "ModelConfig", "ModelStatistics", "RepositoryIndex", "RepositoryModelLoad",
                "RepositoryModelUnload");
        assertThat(service.findMethodByName("ModelStreamInfer").isClientStreaming()).isTrue();
        assertThat(service.findMethodByName("ModelStreamInfer").isServerStreaming()).isTrue();
        assertThat(GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName())
                .isEqualTo("inference.GRPCInferenceService/ModelInfer");
    }

    @Test
    void modelInferRequestFields() {
        Descriptor request = ModelInferRequest.getDescriptor();
        assertThat(request.getFullName()).isEqualTo("inference.ModelInferRequest");
        assertField(request, "model_name", 1, Type.STRING, false);
        assertField(request, "model_version", 2, Type.STRING, false);
        assertField(request, "id", 3, Type.STRING, false);
        assertField(request, "parameters", 4, Type.MESSAGE, true);
        assertField(request, "inputs", 5, Type.MESSAGE, true);
        assertField(request, "outputs", 6, Type.MESSAGE, true);
        assertField(request, "raw_input_contents", 7, Type.BYTES, true);
        Descriptor input = ModelInferRequest.InferInputTensor.getDescriptor();
        assertField(input, "name", 1, Type.STRING, false);
        assertField(input, "datatype", 2, Type.STRING, false);
        assertField(input, "shape", 3, Type.INT64, true);
        assertField(input, "contents", 5, Type.MESSAGE, false);
        assertField(ModelInferResponse.getDescriptor(), "raw_output_contents", 6, Type.BYTES, true);
    }

    @Test
    void inferTensorContentsFields() {
        Descriptor contents = InferTensorContents.getDescriptor();
        assertField(contents, "bool_contents", 1, Type.BOOL, true);
        assertField(contents, "int_contents", 2, Type.INT32, true);
        assertField(contents, "int64_contents", 3, Type.INT64, true);
        assertField(contents, "uint_contents", 4, Type.UINT32, true);
        assertField(contents, "uint64_contents", 5, Type.UINT64, true);
        assertField(contents, "fp32_contents", 6, Type.FLOAT, true);
        assertField(contents, "fp64_contents", 7, Type.DOUBLE, true);
        assertField(contents, "bytes_contents", 8, Type.BYTES, true);
    }

    @Test
    void modelConfigFieldsAndDataTypes() {
        Descriptor config = ModelConfig.getDescriptor();
        assertThat(config.getFullName()).isEqualTo("inference.ModelConfig");
        assertField(config, "max_batch_size", 4, Type.INT32, false);
        assertField(config, "input", 5, Type.MESSAGE, true);
        assertField(config, "output", 6, Type.MESSAGE, true);
        assertField(config, "dynamic_batching", 11, Type.MESSAGE, false);
        assertField(config, "sequence_batching", 13, Type.MESSAGE, false);
        assertField(config, "backend", 17, Type.STRING, false);
        assertField(ModelDynamicBatching.getDescriptor(), "max_queue_delay_microseconds", 2, Type.UINT64, false);
        assertThat(DataType.TYPE_FP32.getNumber()).isEqualTo(11);
        assertThat(DataType.TYPE_STRING.getNumber()).isEqualTo(13);
        assertThat(DataType.TYPE_BF16.getNumber()).isEqualTo(14);
        assertField(ModelStatistics.getDescriptor(), "inference_stats", 6, Type.MESSAGE, false);
        assertField(StatisticDuration.getDescriptor(), "ns", 2, Type.UINT64, false);
    }

    @Test
    void aTritonStyleConfigPbtxtParses() throws TextFormat.ParseException {
        String pbtxt = """
                name: "tiny-lm"
                backend: "divergence"
                max_batch_size: 8
                input [ { name: "input_ids" data_type: TYPE_INT64 dims: [ -1 ] } ]
                output [ { name: "logits" data_type: TYPE_FP32 dims: [ 260 ] } ]
                dynamic_batching { preferred_batch_size: [ 4, 8 ] max_queue_delay_microseconds: 100 }
                instance_group [ { count: 1 kind: KIND_CPU } ]
                """;
        ModelConfig.Builder builder = ModelConfig.newBuilder();
        TextFormat.merge(pbtxt, builder);
        ModelConfig config = builder.build();
        assertThat(config.getInput(0).getDataType()).isEqualTo(DataType.TYPE_INT64);
        assertThat(config.getDynamicBatching().getPreferredBatchSizeList()).containsExactly(4, 8);
        assertThat(config.getInstanceGroup(0).getKind()).isEqualTo(ModelInstanceGroup.Kind.KIND_CPU);
    }

    private static void assertField(Descriptor message, String name, int number, Type type, boolean repeated) {
        FieldDescriptor field = message.findFieldByName(name);
        assertThat(field).as(message.getFullName() + "." + name).isNotNull();
        assertThat(field.getNumber()).as(name + " number").isEqualTo(number);
        assertThat(field.getType()).as(name + " type").isEqualTo(type);
        assertThat(field.isRepeated()).as(name + " repeated").isEqualTo(repeated);
    }
}
