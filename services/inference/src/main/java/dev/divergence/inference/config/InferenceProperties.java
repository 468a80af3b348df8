package dev.divergence.inference.config;

import dev.divergence.model.assets.TinyAssets;
import dev.divergence.modelserver.repository.RepositoryWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * @param dataDir the platform's data folder (env DIVERGENCE_DATA_DIR); built-in models are made
 *     under {@code models/}, the Triton repository of the embedded server lies in
 *     {@code inference/model-repository}
 * @param djlCacheDir where libtorch unpacks (default {@code <dataDir>/djl}, shared with training)
 * @param builtInModels built-in tiny models made servable at start-up
 * @param builtInBudget "standard" (demo-quality built-in models) or "small" (tests); the first
 *     process to make a model in the data folder decides, as training does
 * @param repositoryDir the Triton repository this service writes entries into; with an external
 *     Triton it must be the folder Triton serves (default {@code <dataDir>/inference/model-repository})
 * @param sequenceIdle a decoding sequence without requests for this long is evicted with its KV cache
 * @param languageModelBatch max_batch_size of the stateless language-model entries
 * @param classifierBatch max_batch_size of classifier entries
 * @param embeddedServer the in-process Triton-compatible server
 * @param triton the Triton endpoint every call goes to
 * @param tritonBackend the backend of the entries written for an external Triton (embedded server
 *     off): "divergence" (default; a Triton-protocol server that runs libs/model, as the embedded
 *     one) or "python" (NVIDIA Triton's Python backend: each version folder gets the PyTorch
 *     model.py of libs/model-server, decoding entries get sequence control inputs). Entries for the
 *     embedded server always use its own backend.
 */
@ConfigurationProperties("divergence.inference")
public record InferenceProperties(
    Path dataDir,
    Path djlCacheDir,
    List<String> builtInModels,
    String builtInBudget,
    Path repositoryDir,
    Duration sequenceIdle,
    Integer languageModelBatch,
    Integer classifierBatch,
    EmbeddedServer embeddedServer,
    Triton triton,
    String tritonBackend) {

  public InferenceProperties {
    dataDir = (dataDir == null ? Path.of(".data") : dataDir).toAbsolutePath().normalize();
    djlCacheDir = (djlCacheDir == null ? dataDir.resolve("djl") : djlCacheDir).toAbsolutePath().normalize();
    builtInModels = builtInModels == null ? TinyAssets.ALL : List.copyOf(builtInModels);
    builtInBudget = builtInBudget == null ? "standard" : builtInBudget;
    repositoryDir = (repositoryDir == null ? dataDir.resolve("inference").resolve("model-repository") : repositoryDir)
        .toAbsolutePath().normalize();
    sequenceIdle = sequenceIdle == null
        ? Duration.ofNanos(RepositoryWriter.DECODING_MAX_SEQUENCE_IDLE_MICROS * 1000) : sequenceIdle;
    languageModelBatch = languageModelBatch == null ? 32 : languageModelBatch;
    classifierBatch = classifierBatch == null ? 64 : classifierBatch;
    embeddedServer = embeddedServer == null ? new EmbeddedServer(null, null, null, null, null) : embeddedServer;
    triton = triton == null ? new Triton(null, null) : triton;
    tritonBackend = tritonBackend == null || tritonBackend.isBlank() ? RepositoryWriter.EMBEDDED_BACKEND : tritonBackend.strip();
    if (!tritonBackend.equals(RepositoryWriter.EMBEDDED_BACKEND) && !tritonBackend.equals(RepositoryWriter.PYTHON_BACKEND)) {
      throw new IllegalArgumentException("divergence.inference.triton-backend must be '" + RepositoryWriter.EMBEDDED_BACKEND
          + "' or '" + RepositoryWriter.PYTHON_BACKEND + "', got '" + tritonBackend + "'");
    }
  }

  /** The backend the written entries name: the embedded server's own while it runs, else {@link #tritonBackend}. */
  public String entryBackend() {
    return embeddedServer.enabled() ? RepositoryWriter.EMBEDDED_BACKEND : tritonBackend;
  }

  public TinyAssets.Budget budget() {
    return "small".equals(builtInBudget) ? new TinyAssets.Budget(60, 40) : TinyAssets.Budget.standard();
  }

  /**
   * @param enabled start the server in this process (local default); false: talk to an external Triton
   * @param host the address it binds
   * @param grpcPort Triton's gRPC port (8001; 0 = a free port)
   * @param httpPort KServe v2 REST (8000; 0 = a free port, -1 = off)
   * @param metricsPort Prometheus metrics (8002; 0 = a free port, -1 = off)
   */
  public record EmbeddedServer(Boolean enabled, String host, Integer grpcPort, Integer httpPort, Integer metricsPort) {

    public EmbeddedServer {
      enabled = enabled == null || enabled;
      host = host == null ? "0.0.0.0" : host;
      grpcPort = grpcPort == null ? 8001 : grpcPort;
      httpPort = httpPort == null ? 8000 : httpPort;
      metricsPort = metricsPort == null ? 8002 : metricsPort;
    }
  }

  /**
   * @param target host:port of Triton's gRPC endpoint; ignored while the embedded server runs (the
   *     client follows its bound port)
   * @param deadline of every call, loads included
   */
  public record Triton(String target, Duration deadline) {

    public Triton {
      target = target == null ? "localhost:8001" : target;
      deadline = deadline == null ? Duration.ofSeconds(60) : deadline;
    }
  }
}
