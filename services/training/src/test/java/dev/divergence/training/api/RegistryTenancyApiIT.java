package dev.divergence.training.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.test.EmbeddedInfrastructure;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The registry keeps tenants apart: an uploaded dataset and an imported model are found and listed by
 * the tenant that made them only; another tenant gets 404 for them (their records included) and
 * never sees them in a list, while built-ins stay every tenant's. The service runs with trust-headers
 * (its tests' mode), so {@code X-Tenant-Id} names the caller's tenant.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.training.workers=0"})
class RegistryTenancyApiIT {

  private static final String OWNER = "registry-owner";
  private static final String OTHER = "registry-other";

  @LocalServerPort int port;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void anUploadedDatasetIsItsTenantsAlone() throws Exception {
    String name = "tenancy-data-" + System.nanoTime();
    HttpResponse<String> uploaded = send(OWNER, "POST", "/api/v1/training/datasets?name=" + name + "&kind=classification",
        "{\"features\":[1,2],\"label\":0}\n{\"features\":[3,4],\"label\":1}\n");
    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);

    assertThat(send(OWNER, "GET", "/api/v1/training/datasets/" + name, null).statusCode()).isEqualTo(200);
    assertThat(send(OWNER, "GET", "/api/v1/training/datasets/" + name + "/records", null).statusCode()).isEqualTo(200);
    assertThat(send(OWNER, "GET", "/api/v1/training/datasets", null).body()).contains(name);

    HttpResponse<String> other = send(OTHER, "GET", "/api/v1/training/datasets/" + name, null);
    assertThat(other.statusCode()).as(other.body()).isEqualTo(404);
    assertThat(send(OTHER, "GET", "/api/v1/training/datasets/" + name + "/records", null).statusCode()).isEqualTo(404);
    HttpResponse<String> otherList = send(OTHER, "GET", "/api/v1/training/datasets", null);
    assertThat(otherList.body()).doesNotContain(name).contains("\"breast-cancer\"");
  }

  @Test
  void anImportedModelIsItsTenantsAlone(@TempDir Path folder) throws Exception {
    Files.writeString(folder.resolve("config.json"), "{\"model_type\":\"mlp\"}");
    String name = "tenancy-model-" + System.nanoTime();
    HttpResponse<String> imported = send(OWNER, "POST", "/api/v1/training/models",
        "{\"name\":\"" + name + "\",\"path\":\"" + folder.toString().replace("\\", "\\\\") + "\"}");
    assertThat(imported.statusCode()).as(imported.body()).isEqualTo(201);

    assertThat(send(OWNER, "GET", "/api/v1/training/models/" + name, null).statusCode()).isEqualTo(200);
    assertThat(send(OWNER, "GET", "/api/v1/training/models/" + name + ":1", null).statusCode()).isEqualTo(200);
    assertThat(send(OWNER, "GET", "/api/v1/training/models", null).body()).contains(name);

    assertThat(send(OTHER, "GET", "/api/v1/training/models/" + name, null).statusCode()).isEqualTo(404);
    assertThat(send(OTHER, "GET", "/api/v1/training/models/" + name + ":1", null).statusCode()).isEqualTo(404);
    assertThat(send(OTHER, "GET", "/api/v1/training/models", null).body()).doesNotContain(name);
  }

  private HttpResponse<String> send(String tenant, String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).header("X-Tenant-Id", tenant)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", path.contains("/datasets?") ? "application/x-ndjson" : "application/json");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
