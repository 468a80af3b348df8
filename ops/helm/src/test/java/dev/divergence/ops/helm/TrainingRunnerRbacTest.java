package dev.divergence.ops.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The training service's Role allows exactly the Kubernetes API calls its runner makes. The calls
 * are read from the runner's source (services/training/.../runner/kubernetes), each fabric8 call
 * chain on {@code client} mapped to the API verbs it issues, so a new call in the runner without a
 * matching Role rule (or a rule nothing needs any more) fails here.
 */
class TrainingRunnerRbacTest {

  private static final Path RUNNER = Chart.ROOT.resolve("services/training/src/main/java/dev/divergence/training/runner/kubernetes");
  private static final String PREFIX = Chart.RELEASE + "-divergence-";

  /** fabric8 DSL methods and the verbs they send to the API server. */
  private static final Map<String, List<String>> VERBS = Map.ofEntries(
      Map.entry("create", List.of("create")), Map.entry("delete", List.of("delete")),
      Map.entry("list", List.of("list")), Map.entry("get", List.of("get")), Map.entry("watch", List.of("watch")),
      Map.entry("inform", List.of("list", "watch")), Map.entry("runnableInformer", List.of("list", "watch")),
      Map.entry("informOnCondition", List.of("list", "watch")), Map.entry("waitUntilCondition", List.of("get", "watch")),
      Map.entry("edit", List.of("get", "patch")), Map.entry("patch", List.of("patch")),
      Map.entry("update", List.of("update")), Map.entry("replace", List.of("update")),
      Map.entry("createOr", List.of("create", "update")), Map.entry("serverSideApply", List.of("patch")),
      Map.entry("getLog", List.of("get")), Map.entry("watchLog", List.of("get")));

  /** {@code client.} as the receiver of a call (not in an import or {@code this.client}). */
  private static final Pattern CLIENT = Pattern.compile("(?<![\\w.])client\\s*\\.");
  private static final Pattern CALL = Pattern.compile("\\.(\\w+)\\(");

  @Test
  void roleAllowsExactlyTheRunnersCalls() throws IOException {
    Set<String> calls = runnerApiCalls();
    assertThat(calls).as("the runner's calls, read from its source").isNotEmpty();

    Chart.Rendered rendered = Chart.render("default");
    Role role = rendered.one(Role.class, PREFIX + "training-runner");
    Set<String> allowed = new TreeSet<>();
    for (PolicyRule rule : role.getRules()) {
      assertThat(rule.getResourceNames()).as("no resourceNames: Job names are per attempt").isNullOrEmpty();
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          for (String verb : rule.getVerbs()) {
            allowed.add(group + "/" + resource + ":" + verb);
          }
        }
      }
    }
    assertThat(allowed).as("Role %s", role.getMetadata().getName()).isEqualTo(calls);
  }

  @Test
  void onlyTheTrainingServiceHoldsTheRoleAndWorkersGetNoToken() {
    Chart.Rendered rendered = Chart.render("default");
    RoleBinding binding = rendered.one(RoleBinding.class, PREFIX + "training-runner");
    assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
    assertThat(binding.getRoleRef().getName()).isEqualTo(PREFIX + "training-runner");
    assertThat(binding.getSubjects()).singleElement().satisfies(subject -> {
      assertThat(subject.getKind()).isEqualTo("ServiceAccount");
      assertThat(subject.getName()).isEqualTo(PREFIX + "training");
      assertThat(subject.getNamespace()).isEqualTo(Chart.NAMESPACE);
    });
    assertThat(rendered.all(RoleBinding.class)).hasSize(1);
    var training = rendered.one(Deployment.class, PREFIX + "training").getSpec().getTemplate().getSpec();
    assertThat(training.getServiceAccountName()).isEqualTo(PREFIX + "training");
    assertThat(training.getAutomountServiceAccountToken()).isTrue();
    for (Deployment other : rendered.all(Deployment.class)) {
      if (!other.getMetadata().getName().equals(PREFIX + "training")) {
        assertThat(other.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken())
            .as(other.getMetadata().getName() + " mounts no token").isFalse();
      }
    }
    // the runner gives its Jobs the worker ServiceAccount, which has no binding and no token
    Map<String, Object> config = RenderedManifestsTest.springConfig(rendered, "training");
    assertThat(RenderedManifestsTest.at(config, "divergence.training.runner")).isEqualTo("kubernetes");
    assertThat(RenderedManifestsTest.at(config, "divergence.training.kubernetes.service-account")).isEqualTo(PREFIX + "training-worker");
    assertThat(rendered.one(ServiceAccount.class, PREFIX + "training-worker").getAutomountServiceAccountToken()).isFalse();
    assertThat(RenderedManifestsTest.at(config, "divergence.training.kubernetes.image")).isEqualTo(
        training.getContainers().getFirst().getImage());
    assertThat(RenderedManifestsTest.at(config, "divergence.training.kubernetes.data-volume-claim")).isEqualTo(PREFIX + "data");
    assertThat(RenderedManifestsTest.at(config, "divergence.training.kubernetes.namespace")).isEqualTo(Chart.NAMESPACE);
  }

  @Test
  void localRunnerNeedsNoKubernetesAccess() {
    Chart.Rendered rendered = Chart.render("local-runner");
    assertThat(rendered.all(Role.class)).isEmpty();
    assertThat(rendered.all(RoleBinding.class)).isEmpty();
    assertThat(rendered.one(Deployment.class, PREFIX + "training").getSpec().getTemplate().getSpec()
        .getAutomountServiceAccountToken()).isFalse();
  }

  /** "group/resource:verb" of every Kubernetes API call in the runner's package. */
  private static Set<String> runnerApiCalls() throws IOException {
    Set<String> calls = new TreeSet<>();
    List<Path> sources;
    try (Stream<Path> files = Files.list(RUNNER)) {
      sources = files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
    }
    assertThat(sources).as(RUNNER.toString()).isNotEmpty();
    for (Path source : sources) {
      String code = Files.readString(source).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
      for (String statement : code.split(";")) {
        Matcher receiver = CLIENT.matcher(statement);
        if (!receiver.find()) {
          continue;
        }
        String chain = statement.substring(receiver.start()).replaceAll("\\s+", "");
        String resource;
        if (chain.startsWith("client.batch().v1().jobs()")) {
          resource = "batch/jobs";
        } else if (chain.startsWith("client.pods()")) {
          resource = "/pods";
        } else if (chain.startsWith("client.getNamespace()") || chain.startsWith("client.close()")) {
          continue; // configuration or assignment, no API call
        } else {
          throw new AssertionError(source.getFileName() + ": a Kubernetes call this test does not know, extend it: " + chain);
        }
        Matcher call = CALL.matcher(chain);
        while (call.find()) {
          List<String> verbs = VERBS.get(call.group(1));
          if (verbs != null) {
            verbs.forEach(verb -> calls.add(resource + ":" + verb));
          }
        }
      }
    }
    return calls;
  }
}
