package dev.divergence.ops.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rendered manifests of every values variant, checked as Kubernetes objects. */
class RenderedManifestsTest {

  private static final String PREFIX = Chart.RELEASE + "-divergence-";
  private static final Set<String> SERVICES = Set.of("gateway", "training", "inference", "evaluation", "merging");

  @ParameterizedTest
  @ValueSource(strings = {"default", "gpu", "triton-cpu", "keda", "external-database", "ingress", "local-runner",
      "everything"})
  void everyContainerHasProbesResourcesAndTheSecurityContext(String variant) {
    Chart.Rendered rendered = Chart.render(variant);
    List<Deployment> deployments = rendered.all(Deployment.class);
    assertThat(deployments).extracting(d -> d.getMetadata().getName())
        .containsAll(SERVICES.stream().map(s -> PREFIX + s).toList());
    for (Deployment deployment : deployments) {
      String name = variant + " " + deployment.getMetadata().getName();
      PodSpec pod = deployment.getSpec().getTemplate().getSpec();
      assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(name + " runAsNonRoot").isTrue();
      assertThat(pod.getSecurityContext().getRunAsUser()).as(name + " runAsUser").isPositive();
      assertThat(pod.getSecurityContext().getSeccompProfile().getType()).as(name + " seccomp").isEqualTo("RuntimeDefault");
      assertThat(pod.getInitContainers()).as(name + " init containers").isEmpty();
      Map<String, Volume> volumes = pod.getVolumes().stream().collect(Collectors.toMap(Volume::getName, v -> v));
      for (Container container : pod.getContainers()) {
        String where = name + "/" + container.getName();
        for (Probe probe : new Probe[] {container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe()}) {
          assertThat(probe).as(where + " probes").isNotNull();
          assertThat(probe.getHttpGet()).as(where + " probe httpGet").isNotNull();
          String port = probe.getHttpGet().getPort().getStrVal();
          assertThat(container.getPorts()).as(where + " probe port " + port).anyMatch(p -> p.getName().equals(port));
        }
        if (SERVICES.contains(container.getName())) {
          assertThat(container.getStartupProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
          assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
          assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/readiness");
        }
        var resources = container.getResources();
        assertThat(resources.getRequests()).as(where + " requests").containsKeys("cpu", "memory");
        assertThat(resources.getLimits()).as(where + " limits").containsKey("memory");
        assertThat(Quantity.getAmountInBytes(resources.getLimits().get("memory")))
            .as(where + " memory limit >= request")
            .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(resources.getRequests().get("memory")));
        var security = container.getSecurityContext();
        assertThat(security.getAllowPrivilegeEscalation()).as(where + " allowPrivilegeEscalation").isFalse();
        assertThat(security.getReadOnlyRootFilesystem()).as(where + " readOnlyRootFilesystem").isTrue();
        assertThat(security.getCapabilities().getDrop()).as(where + " capabilities dropped").containsExactly("ALL");
        assertThat(security.getCapabilities().getAdd()).as(where + " capabilities added").isNullOrEmpty();
        assertThat(security.getPrivileged()).as(where + " privileged").isNotEqualTo(Boolean.TRUE);
        // a read-only root needs writable volumes where the JVM and libtorch write
        assertThat(container.getVolumeMounts()).as(where + " /tmp").anyMatch(m -> m.getMountPath().equals("/tmp")
            && volumes.get(m.getName()) != null && volumes.get(m.getName()).getEmptyDir() != null);
        container.getVolumeMounts().forEach(m -> assertThat(volumes).as(where + " volume of " + m.getMountPath())
            .containsKey(m.getName()));
      }
      assertThat(deployment.getSpec().getSelector().getMatchLabels().entrySet())
          .as(name + " selector matches its pods")
          .isSubsetOf(deployment.getSpec().getTemplate().getMetadata().getLabels().entrySet());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"default", "gpu", "triton-cpu", "keda", "external-database", "ingress", "local-runner",
      "everything"})
  void autoscalersTargetExistingDeploymentsOncePerDeployment(String variant) {
    Chart.Rendered rendered = Chart.render(variant);
    Map<String, Deployment> deployments = rendered.all(Deployment.class).stream()
        .collect(Collectors.toMap(d -> d.getMetadata().getName(), d -> d));
    Map<String, String> scaledBy = new HashMap<>();
    for (HorizontalPodAutoscaler hpa : rendered.all(HorizontalPodAutoscaler.class)) {
      var target = hpa.getSpec().getScaleTargetRef();
      assertThat(target.getKind() + " " + target.getApiVersion()).isEqualTo("Deployment apps/v1");
      assertThat(deployments).as(variant + " HPA " + hpa.getMetadata().getName() + " target").containsKey(target.getName());
      assertThat(hpa.getSpec().getMinReplicas()).isPositive().isLessThanOrEqualTo(hpa.getSpec().getMaxReplicas());
      assertThat(hpa.getSpec().getMetrics()).as("CPU metric").anyMatch(m -> m.getResource() != null
          && m.getResource().getName().equals("cpu") && m.getResource().getTarget().getAverageUtilization() != null);
      assertThat(scaledBy.put(target.getName(), "HPA")).as(target.getName() + " scaled twice").isNull();
    }
    List<GenericKubernetesResource> scaledObjects = rendered.custom("ScaledObject");
    for (GenericKubernetesResource scaled : scaledObjects) {
      assertThat(scaled.getApiVersion()).isEqualTo("keda.sh/v1alpha1");
      Map<String, Object> spec = scaled.get("spec");
      @SuppressWarnings("unchecked")
      Map<String, Object> target = (Map<String, Object>) spec.get("scaleTargetRef");
      assertThat(deployments).as(variant + " ScaledObject target").containsKey((String) target.get("name"));
      assertThat((Integer) spec.get("minReplicaCount")).isLessThanOrEqualTo((Integer) spec.get("maxReplicaCount"));
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> triggers = (List<Map<String, Object>>) spec.get("triggers");
      assertThat(triggers).extracting(t -> t.get("type")).contains("cpu", "kafka");
      assertThat(scaledBy.put((String) target.get("name"), "KEDA")).as(target.get("name") + " scaled twice").isNull();
    }
    // gateway, inference, evaluation and merging scale; with KEDA the Kafka consumers by consumer lag
    Map<String, String> expected = new HashMap<>();
    boolean keda = variant.equals("keda") || variant.equals("everything");
    for (String service : List.of("gateway", "inference", "evaluation", "merging")) {
      expected.put(PREFIX + service, keda && Set.of("inference", "evaluation").contains(service) ? "KEDA" : "HPA");
    }
    assertThat(scaledBy).isEqualTo(expected);
    // with requestRate on, the HPAs also scale on their per-pod custom metric
    boolean requestRate = variant.equals("everything");
    for (HorizontalPodAutoscaler hpa : rendered.all(HorizontalPodAutoscaler.class)) {
      assertThat(hpa.getSpec().getMetrics().stream().filter(m -> "Pods".equals(m.getType()))
          .map(m -> m.getPods().getMetric().getName()).toList()).as(hpa.getMetadata().getName() + " custom metric")
          .hasSize(requestRate ? 1 : 0);
    }
    if (requestRate) {
      assertThat(rendered.one(HorizontalPodAutoscaler.class, PREFIX + "gateway").getSpec().getMetrics())
          .anyMatch(m -> m.getPods() != null && m.getPods().getMetric().getName().equals("http_server_requests_per_second")
              && m.getPods().getTarget().getAverageValue().equals(new Quantity("50")));
    }
    // a scaled Deployment leaves its replica count to the autoscaler
    scaledBy.keySet().forEach(name -> assertThat(deployments.get(name).getSpec().getReplicas()).as(name).isNull());
  }

  @ParameterizedTest
  @ValueSource(strings = {"default", "gpu", "keda", "external-database", "ingress", "local-runner", "everything"})
  void servicesDisruptionBudgetsAndReferencesResolve(String variant) {
    Chart.Rendered rendered = Chart.render(variant);
    List<Deployment> deployments = rendered.all(Deployment.class);
    for (Service service : rendered.all(Service.class)) {
      List<Deployment> selected = deployments.stream().filter(d -> d.getSpec().getTemplate().getMetadata().getLabels()
          .entrySet().containsAll(service.getSpec().getSelector().entrySet())).toList();
      assertThat(selected).as(variant + " Service " + service.getMetadata().getName() + " selects one Deployment").hasSize(1);
      Set<String> containerPorts = selected.getFirst().getSpec().getTemplate().getSpec().getContainers().stream()
          .flatMap(c -> c.getPorts().stream()).map(p -> p.getName()).collect(Collectors.toSet());
      service.getSpec().getPorts().forEach(p -> assertThat(containerPorts).contains(p.getTargetPort().getStrVal()));
    }
    for (PodDisruptionBudget pdb : rendered.all(PodDisruptionBudget.class)) {
      assertThat(deployments).as(variant + " PDB " + pdb.getMetadata().getName())
          .anyMatch(d -> d.getSpec().getTemplate().getMetadata().getLabels().entrySet()
              .containsAll(pdb.getSpec().getSelector().getMatchLabels().entrySet()));
    }
    Set<String> configMaps = rendered.all(ConfigMap.class).stream().map(c -> c.getMetadata().getName()).collect(Collectors.toSet());
    Set<String> claims = rendered.all(PersistentVolumeClaim.class).stream().map(c -> c.getMetadata().getName()).collect(Collectors.toSet());
    for (Deployment deployment : deployments) {
      for (Volume volume : deployment.getSpec().getTemplate().getSpec().getVolumes()) {
        if (volume.getConfigMap() != null) {
          assertThat(configMaps).contains(volume.getConfigMap().getName());
        }
        if (volume.getPersistentVolumeClaim() != null) {
          assertThat(claims).contains(volume.getPersistentVolumeClaim().getClaimName());
        }
      }
    }
    assertThat(rendered.all(PersistentVolumeClaim.class)).singleElement()
        .satisfies(pvc -> assertThat(pvc.getSpec().getAccessModes()).containsExactly("ReadWriteMany"));
  }

  @Test
  void servicesFindEachOtherThroughTheirConfiguration() {
    Chart.Rendered rendered = Chart.render("default");
    Map<String, Object> gateway = springConfig(rendered, "gateway");
    for (String backend : List.of("training", "inference", "evaluation", "merging")) {
      int http = (Integer) at(springConfig(rendered, backend), "server.port");
      int grpc = (Integer) at(springConfig(rendered, backend), "divergence.grpc.port");
      Service service = rendered.one(Service.class, PREFIX + backend);
      assertThat(service.getSpec().getPorts()).extracting(p -> p.getPort()).containsExactlyInAnyOrder(http, grpc);
      assertThat(at(gateway, "divergence.gateway.services." + backend + ".uri")).isEqualTo("http://" + PREFIX + backend + ":" + http);
      assertThat(at(gateway, "divergence.gateway.grpc.services." + backend + ".target")).isEqualTo(PREFIX + backend + ":" + grpc);
    }
    assertThat(at(springConfig(rendered, "evaluation"), "divergence.clients.inference.target")).isEqualTo(PREFIX + "inference:9082");
    assertThat(at(springConfig(rendered, "evaluation"), "divergence.clients.training.target")).isEqualTo(PREFIX + "training:9081");
    assertThat(at(springConfig(rendered, "merging"), "divergence.clients.training.target")).isEqualTo(PREFIX + "training:9081");
    for (String service : List.of("training", "inference", "evaluation", "merging")) {
      assertThat(at(springConfig(rendered, service), "spring.kafka.bootstrap-servers")).isEqualTo("kafka:9092");
      assertThat(at(springConfig(rendered, service), "spring.datasource.url")).isEqualTo("jdbc:postgresql://postgresql:5432/divergence");
    }
    assertThat(at(springConfig(rendered, "inference"), "divergence.inference.embedded-server.enabled")).isEqualTo(true);
    // every service gets the database password and identity key from Secrets, never from the ConfigMap
    for (Deployment deployment : rendered.all(Deployment.class)) {
      var env = deployment.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv();
      assertThat(env).filteredOn(e -> e.getName().equals("SPRING_DATASOURCE_PASSWORD")).singleElement()
          .satisfies(e -> assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("divergence-postgresql"));
      assertThat(env).filteredOn(e -> e.getName().equals("DIVERGENCE_SECURITY_IDENTITY_SECRET")).singleElement()
          .satisfies(e -> assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("divergence-identity"));
    }
  }

  @Test
  void externalDatabaseIsConfiguredByValues() {
    Chart.Rendered rendered = Chart.render("external-database");
    for (String service : List.of("gateway", "training", "inference", "evaluation", "merging")) {
      assertThat(at(springConfig(rendered, service), "spring.datasource.url"))
          .isEqualTo("jdbc:postgresql://db.internal.example.com:6432/platform?sslmode=require");
      assertThat(at(springConfig(rendered, service), "spring.datasource.username")).isEqualTo("divergence_app");
      var container = rendered.one(Deployment.class, PREFIX + service).getSpec().getTemplate().getSpec().getContainers().getFirst();
      assertThat(container.getEnv()).filteredOn(e -> e.getName().equals("SPRING_DATASOURCE_PASSWORD")).singleElement()
          .satisfies(e -> assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("platform-db"));
      if (!service.equals("gateway")) {
        assertThat(at(springConfig(rendered, service), "spring.kafka.bootstrap-servers"))
            .isEqualTo("b-1.kafka.example.com:9094,b-2.kafka.example.com:9094");
        assertThat(container.getEnvFrom()).extracting(e -> e.getSecretRef().getName()).containsExactly("kafka-sasl");
      }
    }
    // the workers get the same credentials
    assertThat(at(springConfig(rendered, "training"), "divergence.training.kubernetes.env-from-secrets"))
        .isEqualTo(List.of("platform-db", "divergence-identity", "kafka-sasl"));
  }

  @Test
  void gpuProfileRunsTritonOnGpusServingTheRepositoryInferenceWrites() {
    Chart.Rendered rendered = Chart.render("gpu");
    Deployment triton = rendered.one(Deployment.class, PREFIX + "triton");
    PodSpec pod = triton.getSpec().getTemplate().getSpec();
    Container server = pod.getContainers().getFirst();
    assertThat(server.getResources().getRequests().get("nvidia.com/gpu")).isEqualTo(new Quantity("2"));
    assertThat(server.getResources().getLimits().get("nvidia.com/gpu")).isEqualTo(new Quantity("2"));
    assertThat(server.getArgs()).contains("--model-control-mode=explicit", "--model-repository=/data/inference/model-repository",
        "--grpc-port=8001", "--load-model=tiny-lm");
    assertThat(pod.getNodeSelector()).containsEntry("nvidia.com/gpu.present", "true");
    assertThat(pod.getTolerations()).anyMatch(t -> "nvidia.com/gpu".equals(t.getKey()));
    // the model repository volume is the data volume inference writes the repository into
    Map<String, Object> inference = springConfig(rendered, "inference");
    assertThat(at(inference, "divergence.inference.repository-dir")).isEqualTo("/data/inference/model-repository");
    assertThat(at(inference, "divergence.inference.embedded-server.enabled")).isEqualTo(false);
    assertThat(at(inference, "divergence.inference.triton.target")).isEqualTo(PREFIX + "triton:8001");
    // a real Triton cannot run the embedded server's backend: entries for its Python backend (model.py per version folder)
    assertThat(at(inference, "divergence.inference.triton-backend")).isEqualTo("python");
    assertThat(server.getImage()).contains("-pyt-python-py3");
    assertThat(rendered.one(Service.class, PREFIX + "triton").getSpec().getPorts()).anyMatch(p -> p.getPort() == 8001);
    String tritonClaim = claimOf(triton);
    assertThat(claimOf(rendered.one(Deployment.class, PREFIX + "inference"))).isEqualTo(tritonClaim);
    assertThat(server.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/data") && Boolean.TRUE.equals(m.getReadOnly()));
    // workers: per-algorithm GPU and the GPU pool, through the runner's settings
    assertThat(at(springConfig(rendered, "training"), "divergence.training.kubernetes.resources-by-algorithm.distillation.gpu")).isEqualTo(1);
    assertThat(at(springConfig(rendered, "training"), "divergence.training.kubernetes.node-selector"))
        .isEqualTo(Map.of("[nvidia.com/gpu.present]", "true"));
    assertThat(at(springConfig(rendered, "training"), "divergence.training.kubernetes.tolerations"))
        .isEqualTo(List.of(Map.of("key", "nvidia.com/gpu", "operator", "Exists", "effect", "NoSchedule")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"default", "triton-cpu", "keda", "external-database", "ingress", "local-runner"})
  void withoutTheGpuProfileNothingRequestsAGpu(String variant) {
    assertThat(Chart.render(variant).yaml()).doesNotContain("nvidia.com/gpu:");
    Chart.Rendered rendered = Chart.render(variant);
    assertThat(rendered.all(Deployment.class).stream().flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().stream())
        .flatMap(c -> c.getResources().getRequests().keySet().stream())).doesNotContain("nvidia.com/gpu");
  }

  @Test
  void ingressExposesTheGatewaysRestAndGrpcPortsOnlyWhenEnabled() {
    assertThat(Chart.render("default").all(Ingress.class)).isEmpty();
    Chart.Rendered rendered = Chart.render("ingress");
    List<Ingress> ingresses = rendered.all(Ingress.class);
    assertThat(ingresses).hasSize(2);
    List<String> routes = new ArrayList<>();
    for (Ingress ingress : ingresses) {
      assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("nginx");
      assertThat(ingress.getSpec().getTls()).singleElement().satisfies(t -> assertThat(t.getSecretName()).isEqualTo("divergence-tls"));
      for (var rule : ingress.getSpec().getRules()) {
        var backend = rule.getHttp().getPaths().getFirst().getBackend().getService();
        Service service = rendered.one(Service.class, backend.getName());
        assertThat(service.getSpec().getPorts()).anyMatch(p -> p.getName().equals(backend.getPort().getName()));
        routes.add(rule.getHost() + " -> " + backend.getName() + ":" + backend.getPort().getName());
      }
    }
    assertThat(routes).containsExactlyInAnyOrder("divergence.acme.test -> " + PREFIX + "gateway:http",
        "grpc.divergence.acme.test -> " + PREFIX + "gateway:grpc");
    assertThat(rendered.one(Ingress.class, PREFIX + "gateway-grpc").getMetadata().getAnnotations())
        .containsEntry("nginx.ingress.kubernetes.io/backend-protocol", "GRPC");
  }

  @Test
  void dashboardSignsInAtTheApisIssuerWithItsClientSecretFromASecret() {
    Chart.Rendered rendered = Chart.render("everything");
    Map<String, Object> gateway = springConfig(rendered, "gateway");
    String issuer = "https://login.example.com/realms/divergence";
    assertThat(at(gateway, "spring.security.oauth2.resourceserver.jwt.issuer-uri")).isEqualTo(issuer);
    assertThat(at(gateway, "divergence.gateway.dashboard.oidc")).isEqualTo(Map.of("issuer-uri", issuer,
        "client-id", "divergence-dashboard", "name", "Example Login", "scopes", List.of("openid", "profile")));
    // the secret reaches the gateway only as an environment variable from the Secret, never through the ConfigMap
    assertThat(rendered.one(ConfigMap.class, PREFIX + "gateway").getData().get("application.yaml")).doesNotContain("secret:");
    assertThat(gatewayEnv(rendered)).filteredOn(e -> e.getName().equals("DIVERGENCE_GATEWAY_DASHBOARD_OIDC_CLIENT_SECRET"))
        .singleElement().satisfies(e -> {
          assertThat(e.getValue()).isNull();
          assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("divergence-dashboard-oidc");
          assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("client-secret");
        });
    for (String service : List.of("training", "inference", "evaluation", "merging")) {
      assertThat(rendered.one(Deployment.class, PREFIX + service).getSpec().getTemplate().getSpec().getContainers()
          .getFirst().getEnv()).as(service).noneMatch(e -> e.getName().startsWith("DIVERGENCE_GATEWAY_DASHBOARD"));
    }
    // off by default: the gateway's own defaults (API keys only on the sign-in page)
    Chart.Rendered defaults = Chart.render("default");
    assertThat(at(springConfig(defaults, "gateway"), "divergence.gateway.dashboard")).isNull();
    assertThat(gatewayEnv(defaults)).noneMatch(e -> e.getName().startsWith("DIVERGENCE_GATEWAY_DASHBOARD"));
  }

  @Test
  void aPublicDashboardClientHasNoSecretAndTheServicesDefaultName() throws Exception {
    Chart.Rendered rendered = Chart.Rendered.parse("public client", Chart.templateWith("""
        gateway:
          oidcIssuerUri: https://login.example.com/realms/divergence
          dashboard: {oidc: {clientId: divergence-dashboard}}
        """));
    assertThat(at(springConfig(rendered, "gateway"), "divergence.gateway.dashboard.oidc")).isEqualTo(Map.of(
        "issuer-uri", "https://login.example.com/realms/divergence", "client-id", "divergence-dashboard",
        "scopes", List.of("openid")));
    assertThat(gatewayEnv(rendered)).noneMatch(e -> e.getName().startsWith("DIVERGENCE_GATEWAY_DASHBOARD"));
  }

  @Test
  void ingressRoutesTheDashboardSignInToTheGateway() {
    Chart.Rendered rendered = Chart.render("ingress");
    // the browser starts the sign-in at /ui/oauth2/authorization/oidc and the provider returns it to /ui/oauth2/code/oidc
    for (String path : List.of("/ui/sign-in", "/ui/oauth2/authorization/oidc", "/ui/oauth2/code/oidc")) {
      String backend = null;
      int longest = -1;
      for (Ingress ingress : rendered.all(Ingress.class)) {
        for (var rule : ingress.getSpec().getRules()) {
          if (!"divergence.acme.test".equals(rule.getHost())) {
            continue;
          }
          for (var candidate : rule.getHttp().getPaths()) {
            if (prefixMatches(candidate.getPathType(), candidate.getPath(), path) && candidate.getPath().length() > longest) {
              longest = candidate.getPath().length();
              backend = candidate.getBackend().getService().getName() + ":" + candidate.getBackend().getService().getPort().getName();
            }
          }
        }
      }
      assertThat(backend).as(path).isEqualTo(PREFIX + "gateway:http");
    }
  }

  /** Kubernetes' path matching: Exact, or Prefix by whole path elements split at "/". */
  private static boolean prefixMatches(String pathType, String rulePath, String path) {
    if (pathType.equals("Exact")) {
      return rulePath.equals(path);
    }
    String prefix = rulePath.endsWith("/") ? rulePath.substring(0, rulePath.length() - 1) : rulePath;
    return prefix.isEmpty() || path.equals(prefix) || path.startsWith(prefix + "/");
  }

  private static List<EnvVar> gatewayEnv(Chart.Rendered rendered) {
    return rendered.one(Deployment.class, PREFIX + "gateway").getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv();
  }

  @Test
  void monitoringResourcesCoverEveryServiceAndTriton() {
    Chart.Rendered rendered = Chart.render("everything");
    assertThat(rendered.custom("ServiceMonitor")).extracting(m -> m.getMetadata().getName())
        .containsExactlyInAnyOrder(PREFIX + "gateway", PREFIX + "training", PREFIX + "inference", PREFIX + "evaluation",
            PREFIX + "merging", PREFIX + "triton");
    assertThat(rendered.custom("PrometheusRule")).singleElement().satisfies(rule ->
        assertThat(rule.get("spec", "groups").toString()).contains("DivergenceServiceDown"));
    assertThat(Chart.render("default").custom("ServiceMonitor")).isEmpty();
  }

  private static String claimOf(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getPersistentVolumeClaim() != null).map(v -> v.getPersistentVolumeClaim().getClaimName())
        .findFirst().orElseThrow();
  }

  /** The Spring configuration file of a service's ConfigMap. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> springConfig(Chart.Rendered rendered, String service) {
    String yaml = rendered.one(ConfigMap.class, PREFIX + service).getData().get("application.yaml");
    return new KubernetesSerialization().unmarshal(yaml, Map.class);
  }

  /** A dotted path into nested maps (keys never contain dots here, except bracketed map keys). */
  @SuppressWarnings("unchecked")
  static Object at(Map<String, Object> config, String path) {
    Object current = config;
    for (String key : path.split("\\.")) {
      assertThat(current).as(path).isInstanceOf(Map.class);
      current = ((Map<String, Object>) current).get(key);
    }
    return current;
  }
}
