package dev.divergence.ops.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The chart under test, rendered with {@code helm template} for a values variant and parsed into
 * fabric8's Kubernetes model objects. Parsing is strict: a field the Kubernetes API does not know
 * (which fabric8 would otherwise keep in {@code additionalProperties}) fails the test.
 */
final class Chart {

  static final Path ROOT = Path.of(System.getProperty("divergence.root", "../..")).toAbsolutePath().normalize();
  static final Path DIR = ROOT.resolve("helm/divergence");
  static final String RELEASE = "dv";
  static final String NAMESPACE = "divergence";

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final Map<String, Rendered> CACHE = new ConcurrentHashMap<>();

  private Chart() {
  }

  /** Values files of src/test/resources/values by variant name, "default" = none. */
  static Path valuesFile(String variant) {
    return ROOT.resolve("ops/helm/src/test/resources/values").resolve(variant + ".yaml");
  }

  /** The manifests of one variant (rendered once per test run). */
  static Rendered render(String variant) {
    return CACHE.computeIfAbsent(variant, v -> {
      TemplateCommand template = new Helm(DIR).template().withName(RELEASE).withNamespace(NAMESPACE);
      if (!v.equals("default")) {
        template = template.withValuesFile(valuesFile(v));
      }
      return Rendered.parse(v, template.call());
    });
  }

  /** {@code helm template} with a values file written from the given YAML; the exception carries Helm's message. */
  static String templateWith(String valuesYaml) throws Exception {
    Path values = Files.createTempFile("values", ".yaml");
    try {
      Files.writeString(values, valuesYaml);
      return new Helm(DIR).template().withName(RELEASE).withNamespace(NAMESPACE).withValuesFile(values).call();
    } finally {
      Files.deleteIfExists(values);
    }
  }

  /** The rendered manifests of one variant. */
  record Rendered(String variant, String yaml, List<HasMetadata> resources) {

    static Rendered parse(String variant, String yaml) {
      List<HasMetadata> resources = new ArrayList<>();
      for (String document : yaml.split("(?m)^---\\s*$")) {
        if (document.lines().allMatch(line -> line.isBlank() || line.stripLeading().startsWith("#"))) {
          continue;
        }
        HasMetadata resource = SERIALIZATION.unmarshal(document, HasMetadata.class);
        List<String> unknown = new ArrayList<>();
        unknownFields(resource, resource.getKind() + "/" + resource.getMetadata().getName(), unknown,
            java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
        if (!unknown.isEmpty()) {
          throw new AssertionError(variant + ": fields the Kubernetes API does not have: " + unknown);
        }
        resources.add(resource);
      }
      return new Rendered(variant, yaml, List.copyOf(resources));
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
      return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> T one(Class<T> type, String name) {
      return all(type).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError(variant + ": no " + type.getSimpleName() + " " + name));
    }

    List<GenericKubernetesResource> custom(String kind) {
      return all(GenericKubernetesResource.class).stream().filter(r -> r.getKind().equals(kind)).toList();
    }
  }

  /** Walks a model object's getters and reports every non-empty additionalProperties below it. */
  private static void unknownFields(Object value, String path, List<String> unknown, Set<Object> seen) {
    if (value == null || value instanceof String || value instanceof Number || value instanceof Boolean
        || value instanceof Enum<?> || !seen.add(value)) {
      return;
    }
    if (value instanceof GenericKubernetesResource) {
      return; // custom resources (KEDA, Prometheus Operator): no model classes to check against
    }
    if (value instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        unknownFields(item, path + "[" + i++ + "]", unknown, seen);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((key, item) -> unknownFields(item, path + "." + key, unknown, seen));
      return;
    }
    if (!value.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
          || getter.getDeclaringClass() == Object.class || !(getter.getName().startsWith("get"))) {
        continue;
      }
      Object property;
      try {
        property = getter.invoke(value);
      } catch (IllegalAccessException | InvocationTargetException e) {
        throw new IllegalStateException(e);
      }
      if (getter.getName().equals("getAdditionalProperties")) {
        if (property instanceof Map<?, ?> extra && !extra.isEmpty()) {
          unknown.add(path + ": " + extra.keySet());
        }
        continue;
      }
      unknownFields(property, path + "." + getter.getName().substring(3), unknown, seen);
    }
  }
}
