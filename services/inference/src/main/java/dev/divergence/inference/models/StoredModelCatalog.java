package dev.divergence.inference.models;

import dev.divergence.inference.store.CatalogEntry;
import dev.divergence.inference.store.ServableModelStore;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.platform.errors.ConflictException;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Service;

/** The catalog as the servable_model table holds it; tokenizers are loaded once per model version. */
@Service
public class StoredModelCatalog implements ModelCatalog, DisposableBean {

  private final ServableModelStore store;
  private final ConcurrentMap<String, TextTokenizer> tokenizers = new ConcurrentHashMap<>();

  public StoredModelCatalog(ServableModelStore store) {
    this.store = store;
  }

  @Override
  public List<ServableModel> list() {
    return store.list().stream().map(CatalogEntry::servable).toList();
  }

  @Override
  public ServableModel require(String name) {
    return requireEntry(name).servable();
  }

  /** The full row of a READY model (class names, source); same errors as {@link #require}. */
  public CatalogEntry requireEntry(String name) {
    CatalogEntry entry = find(name);
    if (entry.state() != ServingState.READY) {
      throw new ConflictException("model '" + name + "' is " + entry.state()
          + (entry.message().isEmpty() ? "" : ": " + entry.message()) + "; it serves requests once READY");
    }
    return entry;
  }

  /** The row of a model in any state. */
  public CatalogEntry find(String name) {
    if (name == null || name.isBlank()) {
      throw new InvalidArgumentException("model", "is required");
    }
    return store.find(name).orElseThrow(() -> new NotFoundException("model", name));
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
