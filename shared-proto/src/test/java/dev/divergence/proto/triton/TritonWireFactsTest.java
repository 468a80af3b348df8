package dev.divergence.proto.triton;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.TextFormat;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Triton protocol is only useful if its wire form equals Triton's. The expectations here are
 * not read from our .proto files but from {@code triton/triton-wire-facts.tsv}: every message,
 * field (number, type, label, message/enum type, oneof), enum value and RPC of Triton's published
 * grpc_service.proto and model_config.proto, extracted by {@code src/test/python/triton_wire_facts.py}
 * from the commit named in the file. A renumbered field or a narrower integer would still compile
 * and round-trip here but silently garble every exchange with a real Triton server or client.
 */
class TritonWireFactsTest {

    /**
     * Triton RPCs this platform leaves out on purpose (shared memory needs a co-located client,
     * trace and log settings are Triton server administration). The embedded server answers them
     * with UNIMPLEMENTED, as any gRPC server does for an unknown method.
     */
    private static final Set<String> OMITTED_RPCS = Set.of(
            "SystemSharedMemoryStatus", "SystemSharedMemoryRegister", "SystemSharedMemoryUnregister",
            "CudaSharedMemoryStatus", "CudaSharedMemoryRegister", "CudaSharedMemoryUnregister",
            "TraceSetting", "LogSettings");

    /** The request and response messages of {@link #OMITTED_RPCS} and only those. */
    private static final Predicate<String> OMITTED_MESSAGE = name -> name.startsWith("inference.SystemSharedMemory")
            || name.startsWith("inference.CudaSharedMemory") || name.startsWith("inference.TraceSetting")
            || name.startsWith("inference.LogSettings");

    private static final List<FileDescriptor> OUR_FILES =
            List.of(TritonModelConfigProto.getDescriptor(), TritonGrpcServiceProto.getDescriptor());

    private static Facts triton;
    private static Facts ours;

    @BeforeAll
    static void readFacts() throws IOException {
        triton = Facts.read("/triton/triton-wire-facts.tsv");
        ours = Facts.of(OUR_FILES);
    }

    @Test
    void theFactsTableIsTritonsAndNotEmpty() {
        // guards the test against an empty or truncated table that would make every comparison vacuous
        assertThat(triton.messages).contains("inference.ModelInferRequest", "inference.ModelConfig",
                "inference.InferParameter", "inference.ModelDynamicBatching.PriorityQueuePolicyEntry");
        assertThat(triton.fields.get("inference.ModelInferRequest")).hasSize(7);
        assertThat(triton.enums.get("inference.DataType")).hasSize(15);
    }

    @Test
    void everyTritonMessageIsDeclaredExceptThoseOfTheOmittedRpcs() {
        Set<String> missing = new TreeSet<>(triton.messages);
        missing.removeAll(ours.messages);
        assertThat(missing).as("Triton messages we do not declare").allMatch(OMITTED_MESSAGE);
        Set<String> omitted = triton.messages.stream().filter(OMITTED_MESSAGE).collect(Collectors.toCollection(TreeSet::new));
        assertThat(missing).isEqualTo(omitted);
        assertThat(ours.messages).as("messages Triton does not have").isSubsetOf(triton.messages);
    }

    @Test
    void everyMessageBothDeclareHasTritonsFieldsNumbersTypesAndLabels() {
        List<String> compared = new ArrayList<>();
        for (String message : ours.messages) {
            assertThat(ours.fields.getOrDefault(message, Set.of()))
                    .as("fields of " + message + " (name number type label type_name oneof)")
                    .containsExactlyInAnyOrderElementsOf(triton.fields.getOrDefault(message, Set.of()));
            compared.add(message);
        }
        assertThat(compared).hasSize(triton.messages.size() - (int) triton.messages.stream().filter(OMITTED_MESSAGE).count());
    }

    @Test
    void everyEnumHasTritonsValues() {
        assertThat(ours.enums.keySet()).isEqualTo(triton.enums.keySet());
        triton.enums.forEach((name, values) -> assertThat(ours.enums.get(name)).as(name).isEqualTo(values));
    }

    @Test
    void theServiceHasTritonsRpcsExceptTheOmittedOnes() {
        Set<String> expected = triton.methods.stream()
                .filter(m -> !OMITTED_RPCS.contains(m.split("\t")[1]))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(ours.methods).isEqualTo(expected);
        assertThat(triton.methods).hasSize(expected.size() + OMITTED_RPCS.size());
        assertThat(GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName())
                .isEqualTo("inference.GRPCInferenceService/ModelInfer");
    }

    @Test
    void aTritonStyleConfigPbtxtParses() throws TextFormat.ParseException {
        String pbtxt = """
                name: "tiny-lm"
                backend: "divergence"
                max_batch_size: 8
                input [ { name: "input_ids" data_type: TYPE_INT64 dims: [ -1 ] } ]
                output [ { name: "logits" data_type: TYPE_FP32 dims: [ 260 ] } ]
                dynamic_batching {
                  preferred_batch_size: [ 4, 8 ]
                  max_queue_delay_microseconds: 100
                  priority_levels: 5000000000
                  priority_queue_policy { key: 4294967296 value { max_queue_size: 3 } }
                }
                instance_group [ { count: 1 kind: KIND_CPU } ]
                """;
        ModelConfig.Builder builder = ModelConfig.newBuilder();
        TextFormat.merge(pbtxt, builder);
        ModelConfig config = builder.build();
        assertThat(config.getInput(0).getDataType()).isEqualTo(DataType.TYPE_INT64);
        assertThat(config.getDynamicBatching().getPreferredBatchSizeList()).containsExactly(4, 8);
        // Triton's priority settings are uint64: values above 2^32 must survive
        assertThat(config.getDynamicBatching().getPriorityLevels()).isEqualTo(5_000_000_000L);
        assertThat(config.getDynamicBatching().getPriorityQueuePolicyMap().get(4_294_967_296L).getMaxQueueSize()).isEqualTo(3);
        assertThat(config.getInstanceGroup(0).getKind()).isEqualTo(ModelInstanceGroup.Kind.KIND_CPU);
    }

    /** Facts as tab-separated lines, in the table's format, grouped for comparison. */
    private static final class Facts {
        final Set<String> messages = new TreeSet<>();
        final Map<String, Set<String>> fields = new TreeMap<>();
        final Map<String, Set<String>> enums = new TreeMap<>();
        final Set<String> methods = new TreeSet<>();

        static Facts read(String resource) throws IOException {
            Facts facts = new Facts();
            try (InputStream in = TritonWireFactsTest.class.getResourceAsStream(resource)) {
                assertThat(in).as(resource).isNotNull();
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                for (String line; (line = reader.readLine()) != null; ) {
                    if (line.isBlank() || line.startsWith("#")) {
                        continue;
                    }
                    String[] columns = line.split("\t", 2);
                    facts.add(columns[0], columns[1]);
                }
            }
            return facts;
        }

        static Facts of(List<FileDescriptor> files) {
            Facts facts = new Facts();
            for (FileDescriptor file : files) {
                file.getMessageTypes().forEach(m -> facts.addMessage(m));
                file.getEnumTypes().forEach(e -> facts.addEnum(e));
                for (ServiceDescriptor service : file.getServices()) {
                    for (MethodDescriptor m : service.getMethods()) {
                        facts.add("method", String.join("\t", service.getFullName(), m.getName(),
                                m.getInputType().getFullName(), m.getOutputType().getFullName(),
                                String.valueOf(m.isClientStreaming()), String.valueOf(m.isServerStreaming())));
                    }
                }
            }
            return facts;
        }

        private void addMessage(Descriptor message) {
            add("message", message.getFullName());
            for (FieldDescriptor f : message.getFields()) {
                String typeName = switch (f.getJavaType()) {
                    case MESSAGE -> f.getMessageType().getFullName();
                    case ENUM -> f.getEnumType().getFullName();
                    default -> "-";
                };
                String oneof = f.getRealContainingOneof() == null ? "-" : f.getRealContainingOneof().getName();
                String label = f.isRepeated() ? "REPEATED" : f.isRequired() ? "REQUIRED" : "OPTIONAL";
                add("field", String.join("\t", message.getFullName(), f.getName(), String.valueOf(f.getNumber()),
                        f.getType().name(), label, typeName, oneof));
            }
            message.getNestedTypes().forEach(this::addMessage);
            message.getEnumTypes().forEach(this::addEnum);
        }

        private void addEnum(EnumDescriptor e) {
            for (EnumValueDescriptor v : e.getValues()) {
                add("enum", String.join("\t", e.getFullName(), v.getName(), String.valueOf(v.getNumber())));
            }
        }

        private void add(String kind, String rest) {
            switch (kind) {
                case "message" -> messages.add(rest);
                case "field" -> fields.computeIfAbsent(rest.split("\t", 2)[0], k -> new TreeSet<>()).add(rest);
                case "enum" -> enums.computeIfAbsent(rest.split("\t", 2)[0], k -> new TreeSet<>()).add(rest);
                case "method" -> methods.add(rest);
                default -> throw new IllegalArgumentException("unknown fact kind " + kind);
            }
        }
    }
}
