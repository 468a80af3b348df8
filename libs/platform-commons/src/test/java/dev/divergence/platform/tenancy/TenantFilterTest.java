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

    new TenantFilter().doFilter(request, response, chain);

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
    new TenantFilter().doFilter(request, new MockHttpServletResponse(),
        (req, res) -> seen[0] = TenantContext.current());
    assertThat(seen[0]).isEqualTo("acme-1");
    assertThat(TenantContext.current()).isEqualTo(TenantContext.DEFAULT_TENANT);
  }
}
