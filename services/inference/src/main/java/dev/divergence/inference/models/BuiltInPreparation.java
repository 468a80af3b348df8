package dev.divergence.inference.models;

import dev.divergence.inference.config.InferenceProperties;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * Which built-in models are still being made and loaded at start-up. Every configured built-in
 * counts as preparing from the moment the service exists (before it accepts traffic) until the
 * start-up loader has finished with it, READY or FAILED: the catalog then shows it as
 * {@link ServingState#PREPARING} and requests for it are answered "not servable yet, retry"
 * (503 + Retry-After / UNAVAILABLE) instead of "unknown model" (404) while its row does not exist
 * yet, or a stale state from before a restart while it does.
 */
@Component
public class BuiltInPreparation {

  private final List<String> builtInModels;
  private final Set<String> preparing = ConcurrentHashMap.newKeySet();

  public BuiltInPreparation(InferenceProperties properties) {
    this.builtInModels = List.copyOf(properties.builtInModels());
    preparing.addAll(builtInModels);
  }

  public List<String> builtInModels() {
    return builtInModels;
  }

  public boolean isPreparing(String name) {
    return preparing.contains(name);
  }

  /** The start-up loader is done with {@code name}: from now on its catalog row says how it ended. */
  public void finished(String name) {
    preparing.remove(name);
  }
}
