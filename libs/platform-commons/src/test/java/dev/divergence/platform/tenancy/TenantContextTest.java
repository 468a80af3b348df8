package dev.divergence.platform.tenancy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TenantContextTest {

  @Test
  void callAsBindsTheTenantForTheWorkAndRestoresTheOuterOne() {
    assertThat(TenantContext.current()).isEqualTo(TenantContext.DEFAULT_TENANT);
    String seen = TenantContext.callAs("acme", () -> TenantContext.callAs("beta", TenantContext::current)
        + "/" + TenantContext.current());
    assertThat(seen).isEqualTo("beta/acme");
    assertThat(TenantContext.current()).isEqualTo(TenantContext.DEFAULT_TENANT);
  }

  @Test
  void theTenantIsRestoredWhenTheWorkThrows() {
    assertThatThrownBy(() -> TenantContext.runAs("acme", () -> {
      throw new IllegalStateException("boom");
    })).hasMessage("boom");
    assertThat(TenantContext.current()).isEqualTo(TenantContext.DEFAULT_TENANT);
  }

  @Test
  void aMalformedTenantIsRefused() {
    assertThatThrownBy(() -> TenantContext.runAs("Not A Tenant", () -> {})).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Not A Tenant");
  }
}
