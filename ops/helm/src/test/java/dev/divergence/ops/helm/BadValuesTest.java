package dev.divergence.ops.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad configuration makes {@code helm install} (client-only dry run: everything but the API server)
 * and {@code helm template} fail with a message naming the value, instead of a broken release.
 */
class BadValuesTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      missing Kafka address          | kafka: {bootstrapServers: ''}                                   | kafka.bootstrapServers
      missing database Secret        | postgresql: {existingSecret: ''}                                | postgresql.existingSecret
      missing identity Secret        | identity: {existingSecret: ''}                                  | identity.existingSecret
      missing database host and URL  | postgresql: {host: '', url: ''}                                 | postgresql
      GPU without Triton             | gpu: {enabled: true}                                            | triton.enabled
      unknown value (a typo)         | gatway: {replicaCount: 3}                                       | gatway
      wrong type                     | inference: {autoscaling: {maxReplicas: many}}                   | inference.autoscaling.maxReplicas
      zero replicas ceiling          | merging: {autoscaling: {maxReplicas: 0}}                         | merging.autoscaling.maxReplicas
      unknown runner                 | training: {runner: slurm}                                       | training.runner
      worker GPU count negative      | training: {worker: {resources: {cpu: '1', memory: 4Gi, gpu: -1}}} | training.worker.resources.gpu
      worker toleration effect typo  | training: {worker: {tolerations: [{key: gpu, effect: NoSchedul}]}} | training.worker.tolerations.0.effect
      dashboard client without issuer | gateway: {dashboard: {oidc: {clientId: divergence-dashboard}}} | gateway.oidcIssuerUri
      dashboard secret as a value    | gateway: {oidcIssuerUri: 'https://login.example.com', dashboard: {oidc: {clientId: d, clientSecret: s3cret}}} | clientSecret
      dashboard Secret without client | gateway: {oidcIssuerUri: 'https://login.example.com', dashboard: {oidc: {existingSecret: dashboard-oidc}}} | gateway.dashboard.oidc.clientId
      dashboard scopes without openid | gateway: {oidcIssuerUri: 'https://login.example.com', dashboard: {oidc: {clientId: d, scopes: [profile]}}} | gateway.dashboard.oidc.scopes
      """)
  void schemaRefusesTheValues(String what, String values, String named) throws Exception {
    assertThatThrownBy(() -> install(values)).as(what).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("values don't meet the specifications of the schema")
        .hasMessageContaining(named);
  }

  @Test
  void autoscalingMinimumAboveMaximumIsRefused() {
    String values = "gateway: {autoscaling: {minReplicas: 5, maxReplicas: 3}}";
    assertThatThrownBy(() -> install(values)).hasMessageContaining(
        "gateway.autoscaling.minReplicas (5) must not exceed gateway.autoscaling.maxReplicas (3)");
    assertThatThrownBy(() -> Chart.templateWith(values)).hasMessageContaining("gateway.autoscaling.minReplicas (5)");
  }

  @Test
  void workersNeedThePasswordUnderItsEnvironmentName() throws Exception {
    assertThatThrownBy(() -> install("postgresql: {passwordKey: password}"))
        .hasMessageContaining("postgresql.passwordKey must be SPRING_DATASOURCE_PASSWORD with training.runner=kubernetes");
    // with the local runner nothing copies the Secret whole
    assertThat(Chart.templateWith("postgresql: {passwordKey: password}\ntraining: {runner: local}")).contains("key: password");
  }

  @Test
  void goodValuesInstallAndPrintTheNotes() throws Exception {
    Release release = install("ingress: {enabled: true}");
    assertThat(release.getOutput()).contains("Divergence", "REST API and dashboard: http://divergence.example.com/",
        "grpc.divergence.example.com:443");
  }

  @Test
  void dashboardSignInPrintsTheRedirectUriToRegister() throws Exception {
    Release release = install("""
        ingress: {enabled: true, tls: [{secretName: divergence-tls, hosts: [divergence.example.com]}]}
        gateway:
          oidcIssuerUri: https://login.example.com/realms/divergence
          dashboard: {oidc: {clientId: divergence-dashboard, existingSecret: dashboard-oidc}}
        """);
    assertThat(release.getOutput()).contains("The dashboard also signs in through https://login.example.com/realms/divergence",
        "client divergence-dashboard, secret from Secret dashboard-oidc",
        "https://divergence.example.com/ui/oauth2/code/oidc");
    assertThat(install("ingress: {enabled: true}").getOutput()).doesNotContain("/ui/oauth2/code/oidc");
  }

  private static Release install(String valuesYaml) throws Exception {
    Path values = Files.createTempFile("values", ".yaml");
    try {
      Files.writeString(values, valuesYaml);
      return new Helm(Chart.DIR).install().withName(Chart.RELEASE).withNamespace(Chart.NAMESPACE).clientOnly().dryRun()
          .withValuesFile(values).call();
    } finally {
      Files.deleteIfExists(values);
    }
  }
}
