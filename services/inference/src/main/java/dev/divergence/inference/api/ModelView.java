package dev.divergence.inference.api;

import dev.divergence.inference.backend.RepositoryEntries;
import dev.divergence.inference.models.ModelKind;
import dev.divergence.inference.models.ServingState;
import dev.divergence.inference.store.CatalogEntry;
import dev.divergence.inference.store.Lineage;
import java.time.Instant;
import java.util.List;

/**
 * A catalog model as the API shows it.
 *
 * @param vocabSize language models: vocabulary size; classifiers: number of classes
 * @param contextLength language models: maximum positions; classifiers: number of input features
 * @param tritonModels the Triton entries behind it (a language model also has "&lt;name&gt;__decode")
 */
public record ModelView(
    String name,
    String version,
    ModelKind kind,
    String architecture,
    int vocabSize,
    int contextLength,
    List<String> classNames,
    ServingState state,
    String message,
    String sourceUri,
    boolean builtIn,
    Lineage lineage,
    List<String> tritonModels,
    Instant updatedAt) {

  static ModelView of(CatalogEntry entry) {
    return new ModelView(entry.name(), Integer.toString(entry.version()), entry.kind(), entry.architecture(),
        entry.vocabSize(), entry.contextLength(), entry.classNames(), entry.state(), entry.message(), entry.sourceUri(),
        entry.builtIn(), entry.lineage(),
        entry.kind() == null ? List.of() : RepositoryEntries.tritonNames(entry.name(), entry.kind()), entry.updatedAt());
  }
}
