package dev.divergence.inference.store;

import dev.divergence.inference.models.ModelKind;
import dev.divergence.inference.models.ServingState;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The servable_model table. */
@Repository
public class ServableModelStore {

  private static final TypeReference<List<String>> NAMES = new TypeReference<>() {};

  private final JdbcTemplate jdbc;
  private final JsonMapper json;
  private final Clock clock;

  public ServableModelStore(JdbcTemplate jdbc, JsonMapper json) {
    this.jdbc = jdbc;
    this.json = json;
    this.clock = Clock.systemUTC();
  }

  public List<CatalogEntry> list() {
    return jdbc.query("SELECT * FROM servable_model ORDER BY name", this::map);
  }

  /** The rows {@code tenant} may see: its own and those of no tenant (built-ins). */
  public List<CatalogEntry> list(String tenant) {
    return jdbc.query("SELECT * FROM servable_model WHERE tenant IS NULL OR tenant = ? ORDER BY name", this::map, tenant);
  }

  public Optional<CatalogEntry> find(String name) {
    return jdbc.query("SELECT * FROM servable_model WHERE name = ?", this::map, name).stream().findFirst();
  }

  /** The row if {@code tenant} may see it (its own or no tenant's); another tenant's model is not there for it. */
  public Optional<CatalogEntry> find(String name, String tenant) {
    return jdbc.query("SELECT * FROM servable_model WHERE name = ? AND (tenant IS NULL OR tenant = ?)", this::map, name, tenant)
        .stream().findFirst();
  }

  /** The tenant that owns the row; empty for a model of every tenant's (or no row). */
  public Optional<String> tenantOf(String name) {
    return jdbc.query("SELECT tenant FROM servable_model WHERE name = ?", (rs, row) -> rs.getString(1), name).stream()
        .filter(java.util.Objects::nonNull).findFirst();
  }

  public void save(CatalogEntry entry) {
    save(entry, null);
  }

  /**
   * Inserts the row, or replaces what it says about the model (version, files, lineage, owner) keeping its load count.
   *
   * @param tenant the owner; null for a model every tenant sees (built-ins)
   */
  public void save(CatalogEntry entry, String tenant) {
    Lineage lineage = entry.lineage();
    jdbc.update("""
        INSERT INTO servable_model (name, version, kind, architecture, vocab_size, context_length, class_names, source_uri,
            built_in, base_model, teacher_model, reference_model, producing_job, state, message, updated_at, tenant)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, kind = EXCLUDED.kind,
            architecture = EXCLUDED.architecture, vocab_size = EXCLUDED.vocab_size,
            context_length = EXCLUDED.context_length, class_names = EXCLUDED.class_names,
            source_uri = EXCLUDED.source_uri, built_in = EXCLUDED.built_in, base_model = EXCLUDED.base_model,
            teacher_model = EXCLUDED.teacher_model, reference_model = EXCLUDED.reference_model,
            producing_job = EXCLUDED.producing_job, state = EXCLUDED.state, message = EXCLUDED.message,
            updated_at = EXCLUDED.updated_at, tenant = EXCLUDED.tenant
        """,
        entry.name(), entry.version(), entry.kind() == null ? null : entry.kind().name(), entry.architecture(), entry.vocabSize(), entry.contextLength(),
        json.writeValueAsString(entry.classNames()), entry.sourceUri(), entry.builtIn(), lineage.baseModel(),
        lineage.teacherModel(), lineage.referenceModel(), lineage.producingJob(), entry.state().name(), entry.message(), now(), tenant);
  }

  /** Sets the state of {@code name} if it still serves {@code version} (a newer registration wins). */
  public void updateState(String name, int version, ServingState state, String message) {
    jdbc.update("UPDATE servable_model SET state = ?, message = ?, updated_at = ? WHERE name = ? AND version = ?",
        state.name(), message == null ? "" : message, now(), name, version);
  }

  public void countLoadRequest(String name, int version) {
    jdbc.update("UPDATE servable_model SET load_requests = load_requests + 1 WHERE name = ? AND version = ?", name, version);
  }

  private Timestamp now() {
    return Timestamp.from(clock.instant().truncatedTo(ChronoUnit.MICROS));
  }

  private static ModelKind kindOf(String kind) {
    return kind == null ? null : ModelKind.valueOf(kind);
  }

  private CatalogEntry map(ResultSet rs, int row) throws SQLException {
    return new CatalogEntry(rs.getString("name"), rs.getInt("version"), kindOf(rs.getString("kind")),
        rs.getString("architecture"), rs.getInt("vocab_size"), rs.getInt("context_length"),
        json.readValue(rs.getString("class_names"), NAMES), rs.getString("source_uri"), rs.getBoolean("built_in"),
        new Lineage(rs.getString("base_model"), rs.getString("teacher_model"), rs.getString("reference_model"),
            rs.getString("producing_job")),
        ServingState.valueOf(rs.getString("state")), rs.getString("message"), rs.getInt("load_requests"),
        rs.getTimestamp("updated_at").toInstant());
  }
}
