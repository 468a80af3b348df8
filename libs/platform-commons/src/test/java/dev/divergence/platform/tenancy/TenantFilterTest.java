package dev.divergence.platform.tenancy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A malformed tenant header is a 400 problem whose body is valid JSON whatever the header held. */
class TenantFilterTest {

  @Test
  void aTenantNeedingEscapingYieldsAValidProblemQuotingIt() throws Exception {
    String tenant = "Acme \"Corp\"\\ {\"x\":1}";
    MockHttpServletRequest request = new MockHttpServletRequest("GET", "/api/v1/training/jobs");
    request.addHeader(TenantContext.HEADER, tenant);
    MockHttpServletResponse response = new MockHttpServletResponse();
    MockFilterChain chain = new MockFilterChain();

    new TenantFilter(IdentityPolicy.trustHeaders()).doFilter(request, response, chain);

    assertThat(response.getStatus()).isEqualTo(400);
    assertThat(response.getContentType()).startsWith("application/problem+json");
    assertThat(chain.getRequest()).as("the request went no further").isNull();
    JsonNode problem = JsonMapper.builder().build().readTree(response.getContentAsString());
    assertThat(problem.get("status").asInt()).isEqualTo(400);
    assertThat(problem.get("type").asString()).isEqualTo("https://divergence.dev/problems/invalid-argument");
    assertThat(problem.get("errors").get(0).get("field").asString()).isEqualTo(TenantContext.HEADER);
    assertThat(problem.get("errors").get(0).get("message").asString()).endsWith("got '" + tenant + "'");
    assertThat(problem.get("detail").asString()).contains(tenant);
  }

  @Test
  void aValidTenantIsBoundForTheRequestAndClearedAfter() throws Exception {
    MockHttpServletRequest request = new MockHttpServletRequest("GET", "/");
    request.addHeader(TenantContext.HEADER, "acme-1");
    String[] seen = new String[1];
    new TenantFilter(IdentityPolicy.trustHeaders()).doFilter(request, new MockHttpServletResponse(),
        (req, res) -> seen[0] = TenantContext.current());
    assertThat(seen[0]).isEqualTo("acme-1");
    assertThat(TenantContext.current()).isEqualTo(TenantContext.DEFAULT_TENANT);
  }

  private static final String SECRET = java.util.Base64.getEncoder().encodeToString(
      "0123456789abcdef0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  private static final IdentityPolicy VERIFYING = IdentityPolicy.from(
      new IdentityProperties(IdentityProperties.Mode.VERIFY, SECRET, null), "training", java.time.Clock.systemUTC());

  @Test
  void aVerifyingServiceBindsTheSignedCallerAndIgnoresAPlainTenantHeader() throws Exception {
    CallerIdentity caller = new CallerIdentity("key:k1", "acme", java.util.Set.of("viewer"));
    MockHttpServletRequest request = new MockHttpServletRequest("GET", "/api/v1/training/jobs");
    request.addHeader(IdentityTokens.HEADER, VERIFYING.tokens().orElseThrow().sign(caller));
    request.addHeader(TenantContext.HEADER, "umbrella");
    Object[] seen = new Object[2];
    new TenantFilter(VERIFYING).doFilter(request, new MockHttpServletResponse(), (req, res) -> {
      seen[0] = TenantContext.current();
      seen[1] = TenantContext.caller().orElseThrow();
    });
    assertThat(seen).containsExactly("acme", caller);
    assertThat(TenantContext.caller()).isEmpty();
  }

  @Test
  void aVerifyingServiceAnswersACallWithoutTheGatewaysProofWith401() throws Exception {
    for (String token : new String[] {null, "forged.token.value"}) {
      MockHttpServletRequest request = new MockHttpServletRequest("GET", "/api/v1/training/jobs");
      request.addHeader(TenantContext.HEADER, "acme");
      if (token != null) {
        request.addHeader(IdentityTokens.HEADER, token);
      }
      MockHttpServletResponse response = new MockHttpServletResponse();
      MockFilterChain chain = new MockFilterChain();
      new TenantFilter(VERIFYING).doFilter(request, response, chain);
      assertThat(response.getStatus()).isEqualTo(401);
      assertThat(response.getContentType()).startsWith("application/problem+json");
      assertThat(chain.getRequest()).as("the request went no further").isNull();
      JsonNode problem = JsonMapper.builder().build().readTree(response.getContentAsString());
      assertThat(problem.get("type").asString()).isEqualTo("https://divergence.dev/problems/unauthenticated");
      assertThat(problem.get("detail").asString()).contains(IdentityTokens.HEADER);
    }
  }

  @Test
  void healthAndApiDocsStayOpenToProbes() throws Exception {
    for (String path : new String[] {"/actuator/health/readiness", "/v3/api-docs", "/actuator/prometheus"}) {
      MockFilterChain chain = new MockFilterChain();
      new TenantFilter(VERIFYING).doFilter(new MockHttpServletRequest("GET", path), new MockHttpServletResponse(), chain);
      assertThat(chain.getRequest()).as(path).isNotNull();
    }
  }
}
