package dev.divergence.ops.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every rendered manifest of every values variant validates against the Kubernetes API schema:
 * the OpenAPI definitions of Kubernetes v1.36 as compiled into validators by the npm package
 * kubernetes-models 5.1.0 (and the KEDA and Prometheus Operator CRD schemas of
 * {@code @kubernetes-models/keda} 2.0.0 and {@code @kubernetes-models/prometheus-operator} 6.0.0):
 * types, required fields, enums and formats such as quantities. Unknown fields are caught by the
 * strict fabric8 parsing of {@link Chart}, which this schema does not forbid.
 *
 * <p>Node.js runs the validators; the test installs it from Debian's packages where it is missing,
 * and the packages from the npm registry into target/ once.
 */
class KubernetesSchemaTest {

  private static final List<String> VARIANTS = List.of("default", "gpu", "triton-cpu", "keda", "external-database",
      "ingress", "local-runner", "everything");
  private static final Path WORK = Chart.ROOT.resolve("ops/helm/target/kubernetes-schema");
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  @BeforeAll
  static void installValidators() throws Exception {
    if (run(List.of("node", "--version"), Chart.ROOT, 30).exitCode() != 0) {
      Result install = run(List.of("bash", "-c", "apt-get update -qq && apt-get install -y -qq nodejs npm"), Chart.ROOT, 600);
      assertThat(install.exitCode()).as("installing Node.js from Debian's packages: %s", install.output()).isZero();
    }
    Files.createDirectories(WORK);
    Path resources = Chart.ROOT.resolve("ops/helm/src/test/resources/kubernetes-schema");
    for (String file : List.of("package.json", "validate.mjs")) {
      Files.copy(resources.resolve(file), WORK.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
    Path installed = WORK.resolve("node_modules/kubernetes-models/package.json");
    if (!Files.exists(installed) || !Files.readString(installed).contains("\"version\": \"5.1.0\"")) {
      Result npm = run(List.of("npm", "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"), WORK, 600);
      assertThat(npm.exitCode()).as("npm install: %s", npm.output()).isZero();
    }
  }

  @Test
  void everyRenderedManifestMatchesTheKubernetesApiSchema() throws Exception {
    List<Map<String, Object>> documents = new ArrayList<>();
    for (String variant : VARIANTS) {
      for (Object manifest : manifests(Chart.render(variant).yaml())) {
        documents.add(document(variant, manifest));
      }
    }
    Result result = validate(documents);
    assertThat(result.output()).as("schema validation").doesNotContain("INVALID", "UNKNOWN")
        .contains("CHECKED " + documents.size());
    assertThat(result.exitCode()).isZero();
  }

  @Test
  void theValidatorRejectsABrokenManifest() throws Exception {
    @SuppressWarnings("unchecked")
    Map<String, Object> deployment = (Map<String, Object>) manifests(Chart.render("default").yaml()).stream()
        .filter(m -> "Deployment".equals(((Map<?, ?>) m).get("kind"))).findFirst().orElseThrow();
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) deployment.get("spec");
    spec.put("replicas", "two");
    Result result = validate(List.of(document("broken", deployment)));
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.output()).contains("INVALID broken Deployment/").contains("spec/replicas must be integer");
  }

  private static List<Object> manifests(String yaml) {
    List<Object> manifests = new ArrayList<>();
    for (String document : yaml.split("(?m)^---\\s*$")) {
      if (document.lines().anyMatch(line -> !line.isBlank() && !line.stripLeading().startsWith("#"))) {
        manifests.add(SERIALIZATION.unmarshal(document, LinkedHashMap.class));
      }
    }
    return manifests;
  }

  private static Map<String, Object> document(String source, Object manifest) {
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("source", source);
    document.put("manifest", manifest);
    return document;
  }

  private static Result validate(List<Map<String, Object>> documents) throws Exception {
    Path input = Files.createTempFile(WORK, "manifests", ".json");
    try {
      Files.writeString(input, SERIALIZATION.asJson(documents));
      return run(List.of("node", "validate.mjs", input.toString()), WORK, 120);
    } finally {
      Files.deleteIfExists(input);
    }
  }

  record Result(int exitCode, String output) {
  }

  private static Result run(List<String> command, Path directory, long timeoutSeconds) throws IOException, InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
    } catch (IOException notInstalled) {
      return new Result(-1, notInstalled.getMessage());
    }
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(command + " took longer than " + timeoutSeconds + " s");
    }
    return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
  }
}
