package dev.divergence.inference.models;

import dev.divergence.inference.config.InferenceProperties;
import dev.divergence.inference.store.CatalogEntry;
import dev.divergence.inference.store.Lineage;
import dev.divergence.inference.store.ServableModelStore;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Once the service is up, makes the built-in tiny models (made on first use in the data folder, as
 * the training service does) and every model the catalog served before the restart servable again,
 * on a background thread so that readiness does not wait for model files to be made or loaded.
 * Until it is done with a built-in, {@link BuiltInPreparation} keeps that model PREPARING.
 */
@Component
public class StartupLoading implements DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(StartupLoading.class);

  private final InferenceProperties properties;
  private final ServableModelStore store;
  private final ModelLifecycle lifecycle;
  private final BuiltInPreparation preparation;
  private final BuiltInModelMaker maker;
  private final ExecutorService loader = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("model-loader").daemon().factory());

  public StartupLoading(InferenceProperties properties, ServableModelStore store, ModelLifecycle lifecycle,
      BuiltInPreparation preparation, BuiltInModelMaker maker) {
    this.properties = properties;
    this.store = store;
    this.lifecycle = lifecycle;
    this.preparation = preparation;
    this.maker = maker;
  }

  @EventListener(ApplicationReadyEvent.class)
  public void loadInBackground() {
    Set<String> toLoad = new LinkedHashSet<>();
    // the backend may have lost them (the embedded server starts empty): not READY until loaded again
    for (CatalogEntry entry : store.list()) {
      if (entry.state() != ServingState.UNLOADED) {
        store.updateState(entry.name(), entry.version(), ServingState.LOADING, "");
        toLoad.add(entry.name());
      }
    }
    loader.submit(() -> {
      for (String name : properties.builtInModels()) {
        try {
          makeBuiltIn(name);
          lifecycle.load(name);
          toLoad.remove(name);
        } catch (RuntimeException e) {
          log.error("built-in model {} cannot be made servable", name, e);
        } finally {
          // READY, FAILED with its reason, or (made but not registered) unknown: the row says which
          preparation.finished(name);
        }
      }
      for (String name : toLoad) {
        try {
          lifecycle.load(name);
        } catch (RuntimeException e) {
          log.error("model {} cannot be loaded again", name, e);
        }
      }
    });
  }

  private void makeBuiltIn(String name) {
    Path dir = maker.make(name);
    lifecycle.register(name, 1, dir.toUri().toString(), true, Lineage.NONE);
  }

  @Override
  public void destroy() throws InterruptedException {
    loader.shutdownNow();
    loader.awaitTermination(10, TimeUnit.SECONDS);
  }
}
