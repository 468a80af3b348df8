package dev.divergence.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

class RequestClassTest {

  @Test
  void aDryRunSubmissionIsChargedAsARead() {
    // the dashboard validates the wizard as the user types; that must not eat the submission budget
    assertThat(RequestClass.of(post("/api/v1/training/jobs", "dryRun=true"))).isEqualTo(RequestClass.READ);
    assertThat(RequestClass.of(post("/api/v1/training/jobs", "dryRun=TRUE"))).isEqualTo(RequestClass.READ);
  }

  @Test
  void aRealOrMalformedDryRunSubmissionIsASubmission() {
    assertThat(RequestClass.of(post("/api/v1/training/jobs", null))).isEqualTo(RequestClass.SUBMISSION);
    assertThat(RequestClass.of(post("/api/v1/training/jobs", "dryRun=false"))).isEqualTo(RequestClass.SUBMISSION);
    // a value the service refuses with 400 is still charged, so it cannot be used to probe for free
    assertThat(RequestClass.of(post("/api/v1/training/jobs", "dryRun=maybe"))).isEqualTo(RequestClass.SUBMISSION);
    assertThat(RequestClass.of(post("/api/v1/training/jobs/x/cancel", "dryRun=true"))).isEqualTo(RequestClass.SUBMISSION);
  }

  @Test
  void readsAndGenerationsKeepTheirClass() {
    MockHttpServletRequest get = new MockHttpServletRequest("GET", "/api/v1/training/jobs");
    assertThat(RequestClass.of(get)).isEqualTo(RequestClass.READ);
    assertThat(RequestClass.of(post("/api/v1/inference/generate", null))).isEqualTo(RequestClass.GENERATION);
  }

  private static MockHttpServletRequest post(String path, String query) {
    MockHttpServletRequest request = new MockHttpServletRequest("POST", path);
    if (query != null) {
      request.setQueryString(query);
      String[] pair = query.split("=", 2);
      request.setParameter(pair[0], pair[1]);
    }
    return request;
  }
}
