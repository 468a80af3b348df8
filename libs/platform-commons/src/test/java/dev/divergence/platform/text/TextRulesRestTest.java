package dev.divergence.platform.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A NUL (or another control character, or an unpaired surrogate) anywhere in a request's text is a 400
 * problem naming the field, and the controller never sees the request. Before, the NUL travelled to
 * PostgreSQL, which rejects it, and the caller got a 500.
 */
@SpringBootTest(
    classes = TextRulesTestApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"management.endpoint.health.validate-group-membership=false", "spring.autoconfigure.exclude="
        + "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration,"
        + "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration,"
        + "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration"})
class TextRulesRestTest {

  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();

  @LocalServerPort int port;
  @Autowired JsonMapper applicationMapper;

  @BeforeEach
  void resetCount() {
    TextRulesTestApplication.REACHED.set(0);
  }

  @Test
  void acceptableTextPassesThroughUnchanged() throws Exception {
    HttpResponse<String> response = post("""
        {"displayName":"kd\\trun \\u00fc \\ud83d\\ude80","inner":{"name":"x","tags":["a\\nb"]},
         "labels":{"k":"v"},"extra":{"n":1,"s":"ok"}}""");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json.readTree(response.body()).get("displayName").asString()).isEqualTo("kd\trun ü 🚀");
    assertThat(TextRulesTestApplication.REACHED).hasValue(1);
  }

  @Test
  void nulInATopLevelStringIs400NamingIt() throws Exception {
    assertRejected(post("{\"displayName\":\"kd\\u0000run\"}"), "displayName", "U+0000 (at index 2)");
  }

  @Test
  void nulInNestedListAndMapValuesIs400NamingThePath() throws Exception {
    assertRejected(post("{\"inner\":{\"name\":\"a\\u0000\"}}"), "inner.name", "U+0000");
    assertRejected(post("{\"inner\":{\"tags\":[\"ok\",\"b\\u0000\"]}}"), "inner.tags[1]", "U+0000");
    assertRejected(post("{\"labels\":{\"team\":\"\\u0000\"}}"), "labels.team", "U+0000");
    assertRejected(post("{\"extra\":{\"note\":\"\\u0000\"}}"), "extra.note", "U+0000");
  }

  @Test
  void nulInAMapKeyIs400NamingTheMap() throws Exception {
    assertRejected(post("{\"labels\":{\"te\\u0000am\":\"x\"}}"), "labels", "has a key that must not contain the control character U+0000");
  }

  @Test
  void otherControlCharactersAndUnpairedSurrogatesAre400() throws Exception {
    assertRejected(post("{\"displayName\":\"\\u001b[31mred\"}"), "displayName", "U+001B");
    assertRejected(post("{\"displayName\":\"half \\ud83d\"}"), "displayName", "unpaired surrogate");
  }

  @Test
  void invalidUtf8InTheBodyIs400NamingTheBody() throws Exception {
    byte[] body = "{\"displayName\":\"x\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] broken = new byte[body.length];
    System.arraycopy(body, 0, broken, 0, body.length);
    broken[16] = (byte) 0xC3; // a two-byte lead followed by '"' is not UTF-8
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/echo"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(broken)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertRejected(response, "body", "");
  }

  @Test
  void nulInAQueryParameterOrPathVariableIs400NamingIt() throws Exception {
    assertRejected(get("/things/ok?filter=a%00b"), "filter", "U+0000 (at index 1)");
    assertRejected(get("/things/ok?filter=%1B"), "filter", "U+001B");
    HttpResponse<String> fine = get("/things/ok?filter=a%20b");
    assertThat(fine.statusCode()).as(fine.body()).isEqualTo(200);
  }

  @Test
  void theApplicationsOwnMapperStillReadsStoredTextWhateverItHolds() {
    // what a service stored before these rules (JSONB columns, files) must stay readable
    TextRulesTestApplication.Payload stored = applicationMapper.readValue(
        "{\"displayName\":\"old\\u0001name\"}", TextRulesTestApplication.Payload.class);
    assertThat(stored.displayName()).isEqualTo("old\u0001name");
  }

  @Test
  void parametersThatAreNotUtf8Are400NotAServerError() throws Exception {
    assertRejected(get("/things/ok?filter=%FF%FE"), "parameters", "not valid percent-encoded UTF-8");
    HttpResponse<String> form = http.send(HttpRequest.newBuilder(uri("/echo"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0x61, (byte) 0xff, 0x3d, 0x62})).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(form.statusCode()).as(form.body()).isBetween(400, 499);
  }

  @Test
  void checkingTheQueryLeavesAFormEncodedBodyForTheControllerToStream() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/raw?name=data&kind=text"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"a=b\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json.readTree(response.body()).get("bytes").asInt()).isEqualTo(16);
  }

  @Test
  void nulInAPathSegmentNeverReachesTheController() throws Exception {
    // Tomcat itself refuses an encoded NUL or slash in the path (a 400 before Spring sees it, written
    // as problem+json by the platform's error valve); a control character it lets through is named
    // by the check on path variables.
    assertRejected(get("/things/a%00b"), "request", "rejected by the HTTP server");
    assertRejected(get("/things/a%2Fb"), "request", "rejected by the HTTP server");
    assertRejected(get("/things/a%07b"), "thing", "U+0007");
    assertThat(TextRulesTestApplication.REACHED).hasValue(0);
  }

  private void assertRejected(HttpResponse<String> response, String field, String messagePart) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).contains("application/problem+json"));
    JsonNode problem = json.readTree(response.body());
    List<String> fields = new ArrayList<>();
    problem.get("errors").forEach(error -> {
      fields.add(error.get("field").asString());
      if (error.get("field").asString().equals(field)) {
        assertThat(error.get("message").asString()).contains(messagePart);
      }
    });
    assertThat(fields).contains(field);
    assertThat(TextRulesTestApplication.REACHED).as("the controller never saw the request").hasValue(0);
  }

  private HttpResponse<String> post(String body) throws Exception {
    return http.send(HttpRequest.newBuilder(uri("/echo")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }
}
