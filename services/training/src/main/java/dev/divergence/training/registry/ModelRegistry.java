package dev.divergence.training.registry;

import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import dev.divergence.platform.events.OutboxEventPublisher;
import dev.divergence.platform.events.Topics;
import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.proto.training.v1.MergedFrom;
import dev.divergence.proto.training.v1.Model;
import dev.divergence.proto.training.v1.ModelRegistered;
import dev.divergence.training.events.JobMessages;
import dev.divergence.training.config.TrainingProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Models by name and version, in the Hugging Face layout under {@code <data>/models/<name>/<version>/}.
 * Built-in tiny models are made on first use and registered as version 1. Every registration is
 * announced on models.registry.v1 through the outbox. A registered version belongs to the tenant that
 * registered it (a produced model: its job's tenant) and only that tenant finds or lists it; built-in
 * models belong to no tenant and every tenant sees them.
 */
@Component
public class ModelRegistry {

  private static final TypeReference<Map<String, Double>> METRICS = new TypeReference<>() {};
  private static final TypeReference<Map<String, String>> STRINGS = new TypeReference<>() {};

  private final JdbcTemplate jdbc;
  private final JsonMapper json;
  private final OutboxEventPublisher outbox;
  private final BuiltInModels builtIns;
  private final TrainingProperties properties;
  private final Clock clock;

  public ModelRegistry(JdbcTemplate jdbc, JsonMapper json, OutboxEventPublisher outbox, BuiltInModels builtIns,
      TrainingProperties properties, Clock clock) {
    this.jdbc = jdbc;
    this.json = json;
    this.outbox = outbox;
    this.builtIns = builtIns;
    this.properties = properties;
    this.clock = clock;
  }

  /** True when the reference names a registered model (version) or a built-in one. */
  public boolean exists(String reference) {
    ModelReference ref;
    try {
      ref = ModelReference.parse("model", reference);
    } catch (InvalidArgumentException e) {
      return false;
    }
    return find(ref).isPresent() || (builtIns.isBuiltIn(ref.name()) && (ref.version() == null || ref.version() == 1));
  }

  /** The version (latest when none is named) the current tenant may see: its own or a built-in. */
  public Optional<RegisteredModel> find(ModelReference ref) {
    String sql = "SELECT * FROM model WHERE name = ? AND " + VISIBLE
        + (ref.version() == null ? " ORDER BY version DESC LIMIT 1" : " AND version = ?");
    Object[] args = ref.version() == null ? new Object[] {ref.name(), TenantContext.current()}
        : new Object[] {ref.name(), TenantContext.current(), ref.version()};
    return jdbc.query(sql, this::map, args).stream().findFirst();
  }

  /** Rows of the current tenant (the one parameter) and those of no tenant (built-ins). */
  private static final String VISIBLE = "(tenant IS NULL OR tenant = ?)";

  /** The model's registry entry, making and registering a built-in model on first use. */
  @Transactional
  public RegisteredModel resolve(String field, String reference) {
    ModelReference ref = ModelReference.parse(field, reference);
    Optional<RegisteredModel> registered = find(ref);
    if (registered.isPresent()) {
      return registered.get();
    }
    if (builtIns.isBuiltIn(ref.name()) && (ref.version() == null || ref.version() == 1)) {
      Path dir = builtIns.ensure(ref.name());
      return insert(new RegisteredModel(ref.name(), 1, architectureOf(dir), dir.toUri().toString(), null, null, null, null,
          Map.of(), now(), null, Map.of()), null, null);
    }
    throw new NotFoundException("model", ref.toString());
  }

  /**
   * The vocabulary size of a language model (its config's vocab_size), read from the registered
   * folder or from the built-in's config; empty for other models and unknown references.
   */
  public java.util.OptionalInt vocabularySize(String reference) {
    ModelReference ref;
    try {
      ref = ModelReference.parse("model", reference);
    } catch (InvalidArgumentException e) {
      return java.util.OptionalInt.empty();
    }
    Optional<RegisteredModel> registered = find(ref);
    if (registered.isEmpty()) {
      return builtIns.isBuiltIn(ref.name()) ? builtIns.vocabularySize(ref.name()) : java.util.OptionalInt.empty();
    }
    try {
      return java.util.OptionalInt.of(dev.divergence.model.lm.LlamaConfig.read(registered.get().path()).vocabSize());
    } catch (RuntimeException notALanguageModel) {
      return java.util.OptionalInt.empty();
    }
  }

  public List<RegisteredModel> list() {
    return jdbc.query("SELECT * FROM model WHERE " + VISIBLE + " ORDER BY name, version", this::map, TenantContext.current());
  }

  public List<String> builtInNames() {
    return builtIns.names();
  }

  /**
   * Registers the model a job produced as the next version of {@code name}, moving {@code dir} into
   * the model store. Idempotent per job: a second call returns the first registration.
   */
  @Transactional
  public RegisteredModel registerProduced(UUID jobId, String name, Path dir, Lineage lineage, Map<String, Double> metrics) {
    Optional<RegisteredModel> earlier = jdbc.query("SELECT * FROM model WHERE producing_job = ?", this::map, jobId)
        .stream().findFirst();
    if (earlier.isPresent()) {
      return earlier.get();
    }
    jdbc.queryForObject("SELECT pg_advisory_xact_lock(hashtext(?))", Object.class, "model:" + name);
    int version = nextVersion(name);
    Path target = versionDir(name, version);
    move(dir, target);
    return insert(name, version, target, lineage.base(), lineage.teacher(), lineage.reference(), jobId, metrics);
  }

  /** Imports a Hugging Face model folder from a path as the next version of {@code name}. */
  @Transactional
  public RegisteredModel importFromPath(String name, Path source) {
    return register(new Registration(name, source, new Lineage(null, null, null), null, Map.of(), Map.of(), null));
  }

  /**
   * What ModelRegistryService.RegisterModel asks for: a model folder registered as the next version of
   * {@code name}, with its lineage, metrics and metadata.
   *
   * @param mergedFrom the parents of a merged model; null for other models
   * @param idempotencyKey null or a key: the same key registered again returns the first registration
   */
  public record Registration(String name, Path source, Lineage lineage, RegisteredModel.MergedFrom mergedFrom,
      Map<String, Double> metrics, Map<String, String> metadata, String idempotencyKey) {}

  /** The longest idempotency key accepted. */
  public static final int MAX_IDEMPOTENCY_KEY = 200;

  /**
   * Copies {@code registration.source} (a folder with a config.json) into the model store as the next
   * version of its name and announces it on models.registry.v1 (through the outbox, in this transaction).
   *
   * @throws InvalidArgumentException naming {@code name}, {@code path}, {@code metrics} or {@code idempotency_key}
   */
  @Transactional
  public RegisteredModel register(Registration registration) {
    String name = registration.name();
    Path source = registration.source();
    if (!ModelReference.isValidName(name)) {
      throw new InvalidArgumentException("name", "must match [a-z0-9][a-z0-9._-]{0,99}, got '" + name + "'");
    }
    String key = registration.idempotencyKey() == null || registration.idempotencyKey().isEmpty() ? null : registration.idempotencyKey();
    if (key != null && key.length() > MAX_IDEMPOTENCY_KEY) {
      throw new InvalidArgumentException("idempotency_key", "has " + key.length() + " characters, at most " + MAX_IDEMPOTENCY_KEY);
    }
    registration.metrics().forEach((metric, value) -> {
      if (value == null || !Double.isFinite(value)) {
        throw new InvalidArgumentException("metrics." + metric, "must be a finite number, got " + value);
      }
    });
    if (key != null) {
      // two registrations with one key never both pass this point: the second waits, then finds the first
      jdbc.queryForObject("SELECT pg_advisory_xact_lock(hashtext(?))", Object.class, "model-key:" + key);
      Optional<RegisteredModel> earlier = jdbc.query("SELECT * FROM model WHERE idempotency_key = ? AND tenant = ?", this::map, key,
          TenantContext.current()).stream().findFirst();
      if (earlier.isPresent()) {
        if (!earlier.get().name().equals(name)) {
          throw new InvalidArgumentException("idempotency_key", "was used to register " + earlier.get().reference()
              + ", not a version of '" + name + "'");
        }
        return earlier.get();
      }
    }
    if (source == null || !Files.isRegularFile(source.resolve("config.json"))) {
      throw new InvalidArgumentException("path", source + " is not a model folder (no config.json) the training service can read");
    }
    jdbc.queryForObject("SELECT pg_advisory_xact_lock(hashtext(?))", Object.class, "model:" + name);
    int version = nextVersion(name);
    Path target = versionDir(name, version);
    copy(source, target);
    Lineage lineage = registration.lineage();
    return insert(new RegisteredModel(name, version, architectureOf(target), target.toUri().toString(), lineage.base(), lineage.teacher(),
        lineage.reference(), null, Map.copyOf(registration.metrics()), now(), registration.mergedFrom(),
        Map.copyOf(registration.metadata())), key, TenantContext.current());
  }

  private int nextVersion(String name) {
    Integer max = jdbc.queryForObject("SELECT max(version) FROM model WHERE name = ?", Integer.class, name);
    int next = max == null ? 1 : max + 1;
    // a built-in model owns version 1 of its name even before it is first made
    if (next == 1 && builtIns.isBuiltIn(name)) {
      next = 2;
    }
    // a folder without a registry row (left by a data folder whose database was reset) is never overwritten
    while (Files.exists(versionDir(name, next))) {
      next++;
    }
    return next;
  }

  private Path versionDir(String name, int version) {
    return properties.modelsDir().resolve(name).resolve(Integer.toString(version));
  }

  private RegisteredModel insert(String name, int version, Path dir, String base, String teacher, String reference,
      UUID producingJob, Map<String, Double> metrics) {
    return insert(new RegisteredModel(name, version, architectureOf(dir), dir.toUri().toString(), base, teacher, reference, producingJob,
        Map.copyOf(metrics), now(), null, Map.of()), null, TenantContext.current());
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }

  /** @param tenant the owner; null for a built-in model, which every tenant sees */
  private RegisteredModel insert(RegisteredModel model, String idempotencyKey, String tenant) {
    RegisteredModel.MergedFrom parents = model.mergedFrom();
    int inserted = jdbc.update(
        "INSERT INTO model (name, version, architecture, uri, base_model, teacher_model, reference_model, producing_job,"
            + " metrics, created_at, merged_from_generalist, merged_from_expert, metadata, idempotency_key, tenant)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?::jsonb, ?, ?) ON CONFLICT (name, version) DO NOTHING",
        model.name(), model.version(), model.architecture(), model.uri(), model.baseModel(), model.teacherModel(), model.referenceModel(),
        model.producingJob(), json.writeValueAsString(model.metrics()), Timestamp.from(model.createdAt()),
        parents == null ? null : parents.generalist(), parents == null ? null : parents.expert(),
        json.writeValueAsString(model.metadata()), idempotencyKey, tenant);
    if (inserted == 0) {
      return find(new ModelReference(model.name(), model.version())).orElseThrow();
    }
    // the envelope carries the current tenant, the owner's: consumers (inference, evaluation) act for it
    outbox.publish(Topics.MODELS_REGISTRY, model.name(), ModelRegistered.newBuilder().setModel(toProto(model)).build());
    return model;
  }

  /** The architecture a config.json declares: Hugging Face's model_type, else the platform's own field. */
  String architectureOf(Path dir) {
    Path config = dir.resolve("config.json");
    if (!Files.isRegularFile(config)) {
      return "unknown";
    }
    JsonNode node = json.readTree(config.toFile());
    for (String field : List.of("model_type", "architecture", "kind")) {
      if (node.hasNonNull(field)) {
        return node.get(field).asString();
      }
    }
    return "unknown";
  }

  /** The registry entry as the ModelRegistered event and ModelRegistryService carry it. */
  public static Model toProto(RegisteredModel model) {
    Model.Builder proto = Model.newBuilder().setName(model.name()).setVersion(model.version())
        .setArchitecture(model.architecture()).setUri(model.uri()).putAllMetrics(model.metrics())
        .putAllMetadata(model.metadata()).setCreatedAt(JobMessages.timestamp(model.createdAt()));
    if (model.mergedFrom() != null) {
      proto.setMergedFrom(MergedFrom.newBuilder().setGeneralist(model.mergedFrom().generalist()).setExpert(model.mergedFrom().expert()));
    }
    if (model.baseModel() != null) {
      proto.setBaseModel(model.baseModel());
    }
    if (model.teacherModel() != null) {
      proto.setTeacherModel(model.teacherModel());
    }
    if (model.referenceModel() != null) {
      proto.setReferenceModel(model.referenceModel());
    }
    if (model.producingJob() != null) {
      proto.setProducingJob(model.producingJob().toString());
    }
    return proto.build();
  }

  private RegisteredModel map(ResultSet rs, int row) throws SQLException {
    return new RegisteredModel(rs.getString("name"), rs.getInt("version"), rs.getString("architecture"), rs.getString("uri"),
        rs.getString("base_model"), rs.getString("teacher_model"), rs.getString("reference_model"),
        rs.getObject("producing_job", UUID.class), json.readValue(rs.getString("metrics"), METRICS),
        rs.getTimestamp("created_at").toInstant(),
        rs.getString("merged_from_generalist") == null ? null
            : new RegisteredModel.MergedFrom(rs.getString("merged_from_generalist"), rs.getString("merged_from_expert")),
        json.readValue(rs.getString("metadata"), STRINGS));
  }

  private static void move(Path source, Path target) {
    try {
      Files.createDirectories(target.getParent());
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move " + source + " to " + target, e);
    }
  }

  private static void copy(Path source, Path target) {
    try (Stream<Path> files = Files.walk(source)) {
      Path tmp = target.resolveSibling("." + target.getFileName() + ".importing");
      for (Path file : (Iterable<Path>) files::iterator) {
        Path destination = tmp.resolve(source.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(destination);
        } else {
          Files.copy(file, destination, StandardCopyOption.REPLACE_EXISTING);
        }
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot import " + source, e);
    }
  }

  /** Where a produced model came from. */
  public record Lineage(String base, String teacher, String reference) {}
}
