package dev.divergence.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.gateway.auth.CallerAuthentication;
import dev.divergence.platform.tenancy.CallerIdentity;
import dev.divergence.platform.test.net.DownPort;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * When the bucket store cannot be read, a limited call is refused with a 503 the caller can read,
 * as the gRPC entry point refuses it, instead of escaping the filter chain as an exception. The store
 * is a real PostgreSQL client pointed at a port nothing listens on.
 */
class RateLimitFilterTest {

  @AfterEach
  void forgetCaller() {
    SecurityContextHolder.clearContext();
  }

  @Test
  void anUnreadableBucketStoreIsA503ProblemAndTheCallIsNotForwarded() throws Exception {
    PGSimpleDataSource unreachable = new PGSimpleDataSource();
    unreachable.setServerNames(new String[] {"127.0.0.1"});
    DownPort down = DownPort.reserve();
    unreachable.setPortNumbers(new int[] {down.port()});
    unreachable.setConnectTimeout(2);
    RateLimiter limiter = new RateLimiter(unreachable, new RateLimitProperties(true, null, null, null));
    try {
      var context = SecurityContextHolder.createEmptyContext();
      context.setAuthentication(new CallerAuthentication(new CallerIdentity("key:abc", "default", Set.of("viewer")), "api-key"));
      SecurityContextHolder.setContext(context);
      MockHttpServletRequest request = new MockHttpServletRequest("GET", "/api/v1/training/jobs");
      MockHttpServletResponse response = new MockHttpServletResponse();
      AtomicBoolean forwarded = new AtomicBoolean();

      new RateLimitFilter(limiter, new RateLimitProperties(true, null, null, null), new SimpleMeterRegistry())
          .doFilter(request, response, (req, res) -> forwarded.set(true));

      assertThat(response.getStatus()).isEqualTo(503);
      assertThat(response.getContentType()).startsWith("application/problem+json");
      assertThat(response.getContentAsString()).contains("cannot check rate limits");
      assertThat(forwarded).isFalse();
    } finally {
      limiter.stop();
      down.close();
    }
  }
}
