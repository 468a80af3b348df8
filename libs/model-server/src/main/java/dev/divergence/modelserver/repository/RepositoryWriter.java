package dev.divergence.modelserver.repository;

import com.google.protobuf.TextFormat;
import dev.divergence.model.classifier.ClassifierSpec;
import dev.divergence.model.lm.LlamaConfig;
import dev.divergence.proto.triton.DataType;
import dev.divergence.proto.triton.ModelConfig;
import dev.divergence.proto.triton.ModelInput;
import dev.divergence.proto.triton.ModelOutput;
import dev.divergence.proto.triton.ModelSequenceBatching;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * Creates Triton repository entries from Hugging Face model folders: the default config.pbtxt
 * for a classifier or language model, and a numeric version folder holding the model files.
 */
public final class RepositoryWriter {

    private final Path root;

    public RepositoryWriter(Path root) {
        this.root = root;
    }

    /** Copies the model folder's files to {@code <root>/<name>/<version>/} and writes config.pbtxt. */
    public Path write(ModelConfig config, long version, Path huggingFaceDir) {
        Path modelDir = root.resolve(config.getName());
        Path versionDir = modelDir.resolve(Long.toString(version));
        try {
            Files.createDirectories(versionDir);
            try (Stream<Path> files = Files.list(huggingFaceDir)) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    Files.copy(file, versionDir.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            writeConfig(config);
            return versionDir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write repository entry " + versionDir, e);
        }
    }

    /** (Re)writes only {@code <root>/<name>/config.pbtxt}. */
    public void writeConfig(ModelConfig config) {
        Path modelDir = root.resolve(config.getName());
        try {
            Files.createDirectories(modelDir);
            Files.writeString(modelDir.resolve(ModelRepository.CONFIG_FILE), TextFormat.printer().printToString(config));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + modelDir.resolve(ModelRepository.CONFIG_FILE), e);
        }
    }

    /** features FP32 [dim] to logits FP32 [classes] and labels BYTES [1]. */
    public static ModelConfig classifierConfig(String name, Path huggingFaceDir, int maxBatchSize) {
        ClassifierSpec spec = ClassifierSpec.read(huggingFaceDir);
        return base(name, maxBatchSize)
                .addInput(ModelInput.newBuilder().setName("features").setDataType(DataType.TYPE_FP32).addDims(spec.inputDim()))
                .addOutput(ModelOutput.newBuilder().setName("logits").setDataType(DataType.TYPE_FP32).addDims(spec.numClasses()))
                .addOutput(ModelOutput.newBuilder().setName("labels").setDataType(DataType.TYPE_STRING).addDims(1))
                .build();
    }

    /**
     * input_ids INT64 [-1] and optional attention_mask INT64 [-1] to next-token logits FP32 [vocab]
     * after each row's last real token, and all_logits FP32 [-1, vocab]: the next-token logits
     * after every position (raw logits, not log-softmax), computed only for requests that ask
     * for it by name (a Triton client that names no output gets every declared output).
     */
    public static ModelConfig languageModelConfig(String name, Path huggingFaceDir, int maxBatchSize) {
        LlamaConfig config = LlamaConfig.read(huggingFaceDir);
        return base(name, maxBatchSize)
                .addInput(ModelInput.newBuilder().setName("input_ids").setDataType(DataType.TYPE_INT64).addDims(-1))
                .addInput(ModelInput.newBuilder().setName("attention_mask").setDataType(DataType.TYPE_INT64).addDims(-1).setOptional(true))
                .addOutput(ModelOutput.newBuilder().setName("logits").setDataType(DataType.TYPE_FP32).addDims(config.vocabSize()))
                .addOutput(ModelOutput.newBuilder().setName("all_logits").setDataType(DataType.TYPE_FP32).addDims(-1).addDims(config.vocabSize()))
                .build();
    }

    /** Decoding entries batch up to this many live sequences' steps (Triton's max_candidate_sequences). */
    public static final int DECODING_MAX_CANDIDATE_SEQUENCES = 64;
    /** A step batch runs as soon as this many sequences joined it. */
    public static final int DECODING_PREFERRED_BATCH_SIZE = 32;
    /** How long a step waits for other sequences' steps: small against a step's own time. */
    public static final long DECODING_MAX_QUEUE_DELAY_MICROS = 2_000;
    /** A generation whose client went away frees its KV cache after this long without a request. */
    public static final long DECODING_MAX_SEQUENCE_IDLE_MICROS = 300_000_000L;

    /**
     * The decoding entry of a language model from its stateless (scoring) config: same inputs and
     * outputs, {@code name}, no dynamic batching, and sequence batching with Triton's oldest
     * strategy so that concurrent generations' decode steps execute as one batch (the first request
     * of a sequence carries the prompt with sequence_start, each later one the new token;
     * sequence_end frees the KV cache). max_batch_size becomes at least the preferred step batch.
     */
    public static ModelConfig decodingConfig(ModelConfig stateless, String name) {
        int maxBatch = Math.max(stateless.getMaxBatchSize(), DECODING_MAX_CANDIDATE_SEQUENCES);
        return stateless.toBuilder().setName(name).clearDynamicBatching().setMaxBatchSize(maxBatch)
                .setSequenceBatching(ModelSequenceBatching.newBuilder()
                        .setMaxSequenceIdleMicroseconds(DECODING_MAX_SEQUENCE_IDLE_MICROS)
                        .setOldest(ModelSequenceBatching.StrategyOldest.newBuilder()
                                .setMaxCandidateSequences(DECODING_MAX_CANDIDATE_SEQUENCES)
                                .addPreferredBatchSize(DECODING_PREFERRED_BATCH_SIZE)
                                .setMaxQueueDelayMicroseconds(DECODING_MAX_QUEUE_DELAY_MICROS)))
                .build();
    }

    /** The embedded server's own backend: libs/model in the JVM. A real Triton cannot load it. */
    public static final String EMBEDDED_BACKEND = "divergence";
    /** Triton's Python backend running {@value #PYTHON_MODEL_FILE} (PyTorch), for a real NVIDIA Triton. */
    public static final String PYTHON_BACKEND = "python";
    /** The Python backend's model file, copied into every version folder of a Python-backend entry. */
    public static final String PYTHON_MODEL_FILE = "model.py";
    /** Control inputs of a Python-backend decoding entry: sequence start / end flags (INT32 0 or 1) and the sequence id. */
    public static final String SEQUENCE_START_INPUT = "START";
    public static final String SEQUENCE_END_INPUT = "END";
    public static final String SEQUENCE_ID_INPUT = "CORRID";
    private static final String PYTHON_MODEL_RESOURCE = "/dev/divergence/modelserver/triton/python/" + PYTHON_MODEL_FILE;

    /**
     * {@code config} for Triton's Python backend: backend "python" and, for a decoding entry, the
     * sequence batcher's control inputs START, END (INT32, 1 = set) and CORRID (STRING: the clients'
     * sequence ids are strings), which Triton hands the model as input tensors so that model.py keeps
     * one KV cache per sequence. Inputs, outputs and batching stay as they are.
     */
    public static ModelConfig forPythonBackend(ModelConfig config) {
        ModelConfig.Builder python = config.toBuilder().setBackend(PYTHON_BACKEND);
        if (config.hasSequenceBatching()) {
            python.setSequenceBatching(config.getSequenceBatching().toBuilder().clearControlInput()
                    .addControlInput(flag(SEQUENCE_START_INPUT, ModelSequenceBatching.Control.Kind.CONTROL_SEQUENCE_START))
                    .addControlInput(flag(SEQUENCE_END_INPUT, ModelSequenceBatching.Control.Kind.CONTROL_SEQUENCE_END))
                    .addControlInput(ModelSequenceBatching.ControlInput.newBuilder().setName(SEQUENCE_ID_INPUT)
                            .addControl(ModelSequenceBatching.Control.newBuilder()
                                    .setKind(ModelSequenceBatching.Control.Kind.CONTROL_SEQUENCE_CORRID)
                                    .setDataType(DataType.TYPE_STRING))));
        }
        return python.build();
    }

    private static ModelSequenceBatching.ControlInput flag(String name, ModelSequenceBatching.Control.Kind kind) {
        return ModelSequenceBatching.ControlInput.newBuilder().setName(name)
                .addControl(ModelSequenceBatching.Control.newBuilder().setKind(kind).addInt32FalseTrue(0).addInt32FalseTrue(1))
                .build();
    }

    /** Writes the Python backend's {@value #PYTHON_MODEL_FILE} into {@code versionDir} (replacing an older one). */
    public static Path writePythonModel(Path versionDir) {
        Path target = versionDir.resolve(PYTHON_MODEL_FILE);
        try (var in = RepositoryWriter.class.getResourceAsStream(PYTHON_MODEL_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + PYTHON_MODEL_RESOURCE + " is missing from the build");
            }
            Files.createDirectories(versionDir);
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    private static ModelConfig.Builder base(String name, int maxBatchSize) {
        return ModelConfig.newBuilder().setName(name).setBackend(EMBEDDED_BACKEND).setMaxBatchSize(maxBatchSize);
    }
}
