package dev.divergence.inference.models;

import dev.divergence.inference.store.CatalogEntry;
import dev.divergence.inference.store.ServableModelStore;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.platform.errors.ConflictException;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.inference.store.Lineage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Service;

/**
 * The catalog as the servable_model table holds it, with the built-in models still being prepared
 * at start-up shown as PREPARING (also before their row exists); tokenizers are loaded once per
 * model version. A tenant sees the built-ins and its own models only: another tenant's model is
 * unknown to it (404), in every list and every use.
 */
@Service
public class StoredModelCatalog implements ModelCatalog, DisposableBean {

  private final ServableModelStore store;
  private final BuiltInPreparation preparation;
  private final ConcurrentMap<String, TextTokenizer> tokenizers = new ConcurrentHashMap<>();

  public StoredModelCatalog(ServableModelStore store, BuiltInPreparation preparation) {
    this.store = store;
    this.preparation = preparation;
  }

  @Override
  public List<ServableModel> list() {
    return entries().stream().map(CatalogEntry::servable).toList();
  }

  /** Every row, built-ins being prepared as PREPARING, and those without a row yet after the rows. */
  public List<CatalogEntry> entries() {
    List<CatalogEntry> entries = new ArrayList<>();
    Set<String> listed = new HashSet<>();
    for (CatalogEntry entry : store.list(TenantContext.current())) {
      entries.add(preparation.isPreparing(entry.name()) ? preparing(entry) : entry);
      listed.add(entry.name());
    }
    for (String name : preparation.builtInModels()) {
      if (preparation.isPreparing(name) && !listed.contains(name)) {
        entries.add(preparingWithoutRow(name));
      }
    }
    return entries;
  }

  @Override
  public ServableModel require(String name) {
    return requireEntry(name).servable();
  }

  /**
   * The full row of a READY model (class names, source); same errors as {@link #require}, and
   * {@link ModelNotServableYetException} (503 + Retry-After) while it is PREPARING or LOADING.
   */
  public CatalogEntry requireEntry(String name) {
    CatalogEntry entry = find(name);
    if (entry.state() == ServingState.PREPARING || entry.state() == ServingState.LOADING) {
      throw new ModelNotServableYetException(name, entry.state());
    }
    if (entry.state() != ServingState.READY) {
      throw new ConflictException("model '" + name + "' is " + entry.state()
          + (entry.message().isEmpty() ? "" : ": " + entry.message()) + "; it serves requests once READY");
    }
    return entry;
  }

  /** The row of a model in any state; a built-in still being prepared is PREPARING, with or without its row. */
  public CatalogEntry find(String name) {
    if (name == null || name.isBlank()) {
      throw new InvalidArgumentException("model", "is required");
    }
    Optional<CatalogEntry> row = store.find(name, TenantContext.current());
    if (preparation.isPreparing(name)) {
      return row.map(StoredModelCatalog::preparing).orElseGet(() -> preparingWithoutRow(name));
    }
    return row.orElseThrow(() -> new NotFoundException("model", name));
  }

  /** Load / unload on demand: refused with 503 + Retry-After while the start-up loader prepares the model. */
  public CatalogEntry findManageable(String name) {
    CatalogEntry entry = find(name);
    if (entry.state() == ServingState.PREPARING) {
      throw new ModelNotServableYetException(name, entry.state());
    }
    return entry;
  }

  private static final String PREPARING_MESSAGE =
      "built-in model being made and loaded at start-up; requests for it are answered 503 with Retry-After until it is READY";

  private static CatalogEntry preparing(CatalogEntry row) {
    return row.withState(ServingState.PREPARING, PREPARING_MESSAGE);
  }

  /** What is known of a built-in before its files exist: its name and that it is version 1 of a built-in. */
  private static CatalogEntry preparingWithoutRow(String name) {
    return new CatalogEntry(name, 1, null, "", 0, 0, List.of(), "", true, Lineage.NONE, ServingState.PREPARING,
        PREPARING_MESSAGE, 0, null);
  }

  @Override
  public TextTokenizer tokenizer(String name) {
    CatalogEntry entry = requireEntry(name);
    if (entry.kind() != ModelKind.LANGUAGE_MODEL) {
      throw new InvalidArgumentException("model", "'" + name + "' is a " + entry.kind() + ", not a language model");
    }
    return tokenizers.computeIfAbsent(name + ":" + entry.version(), key -> Tokenizers.load(entry.sourceDir()));
  }

  @Override
  public void destroy() {
    tokenizers.values().forEach(TextTokenizer::close);
    tokenizers.clear();
  }
}
