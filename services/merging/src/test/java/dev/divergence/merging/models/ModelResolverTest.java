package dev.divergence.merging.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.divergence.merging.config.MergingProperties;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.classifier.ClassifierSpec;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.grpc.client.GrpcClientProperties;
import dev.divergence.platform.grpc.client.GrpcClients;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resolver's cache of registered models, against a real gRPC registry: bounded by name:version,
 * an evicted model closed only once its last lease ends, a pinned version served from the cache
 * without asking the registry, every cached model closed at shutdown; references parsed before any call.
 */
class ModelResolverTest {

  @TempDir Path dataDir;
  private final TestModelRegistry registry = TestModelRegistry.shared();
  private GrpcClients clients;
  private BuiltInClassifiers builtIns;
  private ModelResolver resolver;

  @BeforeEach
  void start() {
    MergingProperties properties = new MergingProperties(dataDir, 1, 16, false, null, 1);
    builtIns = new BuiltInClassifiers(properties);
    clients = new GrpcClients(Map.of(ModelRegistryClient.CLIENT, GrpcClientProperties.forTarget(registry.target())), "merging-test", List.of());
    resolver = new ModelResolver(builtIns, new ModelRegistryClient(clients), properties);
  }

  @AfterEach
  void stop() {
    registry.failWith(null);
    resolver.destroy();
    clients.close();
    builtIns.destroy();
  }

  /** A small MLP saved as a model folder and registered under a fresh name. */
  private String registerMlp(long seed) {
    String name = "mlp-" + UUID.randomUUID().toString().substring(0, 8);
    Path dir = dataDir.resolve(name);
    try (NDManager m = builtIns.manager().newSubManager()) {
      Classifier.initialize(m, ClassifierSpec.mlp(4, List.of(3), 2), seed).save(dir);
    }
    registry.register(name, dir);
    return name;
  }

  @Test
  void anEvictedModelIsClosedWhenItsLastLeaseEnds() {
    String first = registerMlp(1);
    String second = registerMlp(2);
    ModelResolver.Lease held = resolver.acquire("expert", first);
    assertThat(held.reference()).isEqualTo(first + ":1");
    NDManager heldArrays = held.classifier().parameters().manager();
    try (ModelResolver.Lease other = resolver.acquire("expert", second)) {
      // capacity 1: the first left the cache, but a request still uses it
      assertThat(resolver.cachedModels()).containsExactly(second + ":1");
      assertThat(heldArrays.isOpen()).isTrue();
      assertThat(other.classifier().parameters().manager().isOpen()).isTrue();
    }
    held.close();
    assertThat(heldArrays.isOpen()).isFalse();
    // the cached one stays open with no lease, until it is evicted or the service stops
    ModelResolver.Lease again = resolver.acquire("expert", second + ":1");
    again.close();
    NDManager cached = again.classifier().parameters().manager();
    assertThat(cached.isOpen()).isTrue();
    resolver.destroy();
    assertThat(cached.isOpen()).isFalse();
  }

  @Test
  void closingAnEvictedExpertReleasesThePairItsGeneralistMadeWithIt() {
    MergingProperties two = new MergingProperties(dataDir, 1, 16, false, null, 2);
    resolver.destroy();
    resolver = new ModelResolver(builtIns, new ModelRegistryClient(clients), two);
    String generalistName = registerMlp(4);
    String expertName = registerMlp(5);
    ModelResolver.Lease generalist = resolver.acquire("generalist", generalistName);
    ModelResolver.Lease expert = resolver.acquire("expert", expertName);
    // a merge of the two: libs/model caches the pair on the generalist
    new dev.divergence.merging.engine.ModelPair(generalist.classifier(), expert.classifier());
    var pair = generalist.classifier().interpolationWith(expert.classifier());
    expert.close();
    // the generalist used again: the expert is now the least recently used, and a third model evicts it
    resolver.acquire("generalist", generalistName + ":1").close();
    resolver.acquire("expert", registerMlp(6)).close();
    assertThat(resolver.cachedModels()).doesNotContain(expertName + ":1");
    assertThat(expert.classifier().parameters().manager().isOpen()).isFalse();
    // the generalist's pair with it was closed (its arrays live on the generalist's manager, which stays open)
    assertThat(generalist.classifier().parameters().manager().isOpen()).isTrue();
    try (NDManager m = builtIns.manager().newSubManager()) {
      ai.djl.ndarray.NDArray x = m.create(new float[] {0.5f, -1f, 2f, 0f}, new ai.djl.ndarray.types.Shape(1, 4));
      assertThat(generalist.classifier().logits(x).getShape().get(1)).isEqualTo(2);
      assertThatThrownBy(() -> pair.bothLogits(x)).isInstanceOf(IllegalStateException.class);
    }
    generalist.close();
  }

  @Test
  void aPinnedVersionIsServedFromTheCacheWhileTheRegistryIsOutOfReach() {
    String name = registerMlp(3);
    assertThat(resolver.pin("expert", name)).isEqualTo(name + ":1");
    resolver.acquire("expert", name).close();
    registry.failWith(Status.UNAVAILABLE.withDescription("down for the test"));
    try (ModelResolver.Lease lease = resolver.acquire("expert", name + ":1")) {
      assertThat(lease.classifier().spec().inputDim()).isEqualTo(4);
    }
    // the latest version can only be known by asking
    assertThatThrownBy(() -> resolver.acquire("expert", name)).isInstanceOf(ModelRegistryUnavailableException.class)
        .hasMessageContaining("UNAVAILABLE");
  }

  @Test
  void referencesAreCheckedBeforeAnyLookUpAndBuiltInVersionOneIsTheBuiltIn() {
    registry.failWith(Status.UNAVAILABLE);
    for (String bad : new String[] {null, "", "Upper", "a b", "x:", "x:0", "x:-1", "x:one", ":3"}) {
      assertThatThrownBy(() -> ModelResolver.parse("generalist", bad)).as(bad).isInstanceOfSatisfying(InvalidArgumentException.class,
          e -> assertThat(e.violations()).extracting(v -> v.field()).containsExactly("generalist"));
    }
    assertThat(ModelResolver.isBuiltIn("digits-cnn-expert")).isTrue();
    assertThat(ModelResolver.isBuiltIn("digits-cnn-expert:1")).isTrue();
    assertThat(ModelResolver.isBuiltIn("digits-cnn-expert:2")).isFalse();
    // built-ins never ask the registry (it is failing here)
    assertThat(resolver.pin("generalist", "digits-cnn-expert:1")).isEqualTo("digits-cnn-expert");
  }
}
