package dev.divergence.ops.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rendered NetworkPolicies, evaluated as Kubernetes does (a connection needs an egress rule of
 * the client's policies and an ingress rule of the server's, once a pod is selected by any policy of
 * that direction), let through exactly the connections of the runtime picture in ARCHITECTURE.md:
 *
 * <pre>
 *  clients      -> gateway :8080 (REST, dashboard), :9090 (gRPC)
 *  gateway      -> training :8081/:9081, inference :8082/:9082, evaluation :8083/:9083, merging :8084/:9084
 *  evaluation   -> inference :9082 (ScoringService, GenerationService), training :9081 (DatasetService)
 *  merging      -> training :9081 (ModelRegistryService)
 *  inference    -> Triton :8001 (when Triton runs)
 *  every service and training worker -> PostgreSQL, Kafka (the gateway: PostgreSQL only); every pod -> DNS
 *  training     -> the Kubernetes API (Kubernetes runner); gateway -> the OIDC issuer :443 (when set)
 *  Prometheus   -> every metrics endpoint (when networkPolicy.metricsFrom is set)
 * </pre>
 *
 * The expected lists are written here from that picture, not from the templates.
 */
class NetworkPolicyTest {

  private static final String OUTSIDE = "outside";
  /** Ports probed towards the outside: DNS, the databases, HTTPS, the API server, and one nobody needs. */
  private static final List<String> OUTSIDE_PORTS = List.of("53/UDP", "53/TCP", "5432/TCP", "6432/TCP", "9092/TCP",
      "9094/TCP", "443/TCP", "6443/TCP", "12345/TCP");
  private static final Map<String, Integer> HTTP = Map.of("gateway", 8080, "training", 8081, "inference", 8082,
      "evaluation", 8083, "merging", 8084);
  private static final Map<String, Integer> GRPC = Map.of("gateway", 9090, "training", 9081, "inference", 9082,
      "evaluation", 9083, "merging", 9084);

  /** A pod of the release: its component, labels and container ports (name -> number). */
  record Pod(String component, Map<String, String> labels, Map<String, Integer> ports) {
  }

  @ParameterizedTest
  @ValueSource(strings = {"default", "gpu", "triton-cpu", "keda", "external-database", "ingress", "local-runner",
      "everything"})
  void exactlyTheRuntimePictureGetsThrough(String variant) {
    Chart.Rendered rendered = Chart.render(variant);
    List<NetworkPolicy> policies = rendered.all(NetworkPolicy.class);
    boolean triton = variant.equals("gpu") || variant.equals("triton-cpu") || variant.equals("everything");
    boolean kubernetesRunner = !variant.equals("local-runner");
    boolean oidc = variant.equals("everything");
    boolean prometheus = variant.equals("everything");
    boolean externalDatabase = variant.equals("external-database");

    List<Pod> pods = new ArrayList<>();
    for (Deployment deployment : rendered.all(Deployment.class)) {
      Map<String, String> labels = deployment.getSpec().getTemplate().getMetadata().getLabels();
      Map<String, Integer> ports = new LinkedHashMap<>();
      deployment.getSpec().getTemplate().getSpec().getContainers()
          .forEach(c -> c.getPorts().forEach(p -> ports.put(p.getName(), p.getContainerPort())));
      pods.add(new Pod(labels.get("app.kubernetes.io/component"), labels, ports));
    }
    if (kubernetesRunner) {
      // the labels KubernetesJobRunner gives its worker pods (docs/kubernetes-runner.md, "The Job")
      pods.add(new Pod("training-worker", Map.of("app.kubernetes.io/part-of", "divergence",
          "app.kubernetes.io/component", "training-worker", "app.kubernetes.io/managed-by", "divergence-training",
          "divergence.dev/job-id", "3f2a", "divergence.dev/attempt", "1"), Map.of()));
    }

    for (Pod pod : pods) {
      assertThat(policies).as("%s: a policy with Ingress and Egress selects %s, so it is isolated", variant, pod.component())
          .anyMatch(p -> selects(p, pod) && p.getSpec().getPolicyTypes().containsAll(List.of("Ingress", "Egress")));
    }

    Set<String> expected = new TreeSet<>();
    for (String backend : List.of("training", "inference", "evaluation", "merging")) {
      expected.add("gateway -> " + backend + ":" + HTTP.get(backend) + "/TCP");
      expected.add("gateway -> " + backend + ":" + GRPC.get(backend) + "/TCP");
    }
    expected.add("outside -> gateway:8080/TCP");
    expected.add("outside -> gateway:9090/TCP");
    expected.add("evaluation -> inference:9082/TCP");
    expected.add("evaluation -> training:9081/TCP");
    expected.add("merging -> training:9081/TCP");
    String postgresql = externalDatabase ? "6432/TCP" : "5432/TCP";
    String kafka = externalDatabase ? "9094/TCP" : "9092/TCP";
    for (Pod pod : pods) {
      expected.add(pod.component() + " -> outside:53/UDP");
      expected.add(pod.component() + " -> outside:53/TCP");
      if (!pod.component().equals("triton")) {
        expected.add(pod.component() + " -> outside:" + postgresql);
      }
      if (!pod.component().equals("triton") && !pod.component().equals("gateway")) {
        expected.add(pod.component() + " -> outside:" + kafka);
      }
      if (prometheus && HTTP.containsKey(pod.component())) {
        expected.add("outside -> " + pod.component() + ":" + HTTP.get(pod.component()) + "/TCP");
      }
    }
    if (triton) {
      expected.add("inference -> triton:8001/TCP");
      if (prometheus) {
        expected.add("outside -> triton:8002/TCP");
      }
    }
    if (kubernetesRunner) {
      expected.add("training -> outside:443/TCP");
      expected.add("training -> outside:6443/TCP");
    }
    if (oidc) {
      expected.add("gateway -> outside:443/TCP");
    }

    assertThat(allowedConnections(policies, pods)).as("%s: connections the policies let through", variant)
        .containsExactlyInAnyOrderElementsOf(expected);

    if (externalDatabase) {
      // the external PostgreSQL and Kafka are reached at their address ranges only
      assertThat(peersOfEgressOnPort(policies, 6432)).containsOnly("ipBlock 10.20.0.0/24");
      assertThat(peersOfEgressOnPort(policies, 9094)).containsOnly("ipBlock 10.30.0.0/24");
    }
  }

  private static Set<String> allowedConnections(List<NetworkPolicy> policies, List<Pod> pods) {
    Set<String> allowed = new TreeSet<>();
    for (Pod client : pods) {
      for (Pod server : pods) {
        for (int port : server.ports().values()) {
          if (allows(policies, client, server, port + "/TCP")) {
            allowed.add(client.component() + " -> " + server.component() + ":" + port + "/TCP");
          }
        }
      }
      for (String port : OUTSIDE_PORTS) {
        if (allows(policies, client, null, port)) {
          allowed.add(client.component() + " -> outside:" + port);
        }
      }
    }
    for (Pod server : pods) {
      for (int port : server.ports().values()) {
        if (allows(policies, null, server, port + "/TCP")) {
          allowed.add("outside -> " + server.component() + ":" + port + "/TCP");
        }
      }
    }
    return allowed;
  }

  /** Whether client (null: outside the namespace) may open port ("8080/TCP") on server (null: outside). */
  private static boolean allows(List<NetworkPolicy> policies, Pod client, Pod server, String port) {
    boolean egress = client == null || direction(policies, client, "Egress", p -> p.getSpec().getEgress().stream()
        .anyMatch(rule -> peersMatch(rule.getTo(), server) && portsMatch(rule.getPorts(), server, port)));
    boolean ingress = server == null || direction(policies, server, "Ingress", p -> p.getSpec().getIngress().stream()
        .anyMatch(rule -> peersMatch(rule.getFrom(), client) && portsMatch(rule.getPorts(), server, port)));
    return egress && ingress;
  }

  /** A pod not selected by any policy of a direction is open in it; otherwise some selecting policy must allow. */
  private static boolean direction(List<NetworkPolicy> policies, Pod pod, String type,
      Function<NetworkPolicy, Boolean> allows) {
    List<NetworkPolicy> selecting = policies.stream()
        .filter(p -> selects(p, pod) && p.getSpec().getPolicyTypes().contains(type)).toList();
    return selecting.isEmpty() || selecting.stream().anyMatch(allows::apply);
  }

  private static boolean selects(NetworkPolicy policy, Pod pod) {
    return matches(policy.getSpec().getPodSelector(), pod.labels());
  }

  /** No peers: everyone. A podSelector-only peer: pods of this namespace; ipBlock / namespaceSelector: outside. */
  private static boolean peersMatch(List<NetworkPolicyPeer> peers, Pod pod) {
    if (peers == null || peers.isEmpty()) {
      return true;
    }
    return peers.stream().anyMatch(peer -> {
      boolean outsidePeer = peer.getIpBlock() != null || peer.getNamespaceSelector() != null;
      return pod == null ? outsidePeer : !outsidePeer && matches(peer.getPodSelector(), pod.labels());
    });
  }

  private static boolean portsMatch(List<NetworkPolicyPort> ports, Pod server, String port) {
    if (ports == null || ports.isEmpty()) {
      return true;
    }
    String[] numberAndProtocol = port.split("/");
    int number = Integer.parseInt(numberAndProtocol[0]);
    return ports.stream().anyMatch(p -> {
      String protocol = p.getProtocol() == null ? "TCP" : p.getProtocol();
      if (!protocol.equals(numberAndProtocol[1])) {
        return false;
      }
      IntOrString value = p.getPort();
      if (value == null) {
        return true;
      }
      if (value.getIntVal() != null) {
        return value.getIntVal() == number;
      }
      return server != null && Integer.valueOf(number).equals(server.ports().get(value.getStrVal()));
    });
  }

  private static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return false;
    }
    if (selector.getMatchExpressions() != null && !selector.getMatchExpressions().isEmpty()) {
      throw new AssertionError("matchExpressions are not evaluated by this test: " + selector);
    }
    Map<String, String> required = selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
    return required.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }

  private static Set<String> peersOfEgressOnPort(List<NetworkPolicy> policies, int port) {
    Set<String> peers = new TreeSet<>();
    for (NetworkPolicy policy : policies) {
      for (var rule : policy.getSpec().getEgress()) {
        boolean onPort = rule.getPorts() != null && rule.getPorts().stream()
            .anyMatch(p -> p.getPort() != null && Integer.valueOf(port).equals(p.getPort().getIntVal()));
        if (onPort) {
          if (rule.getTo() == null || rule.getTo().isEmpty()) {
            peers.add("anywhere");
          }
          for (NetworkPolicyPeer peer : rule.getTo()) {
            peers.add(peer.getIpBlock() != null ? "ipBlock " + peer.getIpBlock().getCidr() : peer.toString());
          }
        }
      }
    }
    return peers;
  }
}
