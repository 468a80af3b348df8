package dev.divergence.inference.models;

import java.time.Duration;

/** Polls the catalog until a model reaches a state; models load on a background thread. */
public final class CatalogWaits {

  private CatalogWaits() {}

  public static ServableModel ready(ModelCatalog catalog, String name) throws InterruptedException {
    return state(catalog, name, ServingState.READY, Duration.ofMinutes(3));
  }

  public static ServableModel state(ModelCatalog catalog, String name, ServingState wanted, Duration timeout)
      throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    ServableModel last = null;
    while (System.nanoTime() < end) {
      last = catalog.list().stream().filter(m -> m.name().equals(name)).findFirst().orElse(null);
      if (last != null && last.state() == wanted) {
        return last;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("model " + name + " did not become " + wanted + " within " + timeout + "; last seen: " + last);
  }
}
