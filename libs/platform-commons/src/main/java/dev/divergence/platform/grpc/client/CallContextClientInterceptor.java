package dev.divergence.platform.grpc.client;

import dev.divergence.platform.tenancy.CallerIdentity;
import dev.divergence.platform.tenancy.IdentityTokens;
import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.platform.tenancy.TenantServerInterceptor;
import dev.divergence.platform.web.RequestIdFilter;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.MDC;

/**
 * What every call to another service carries: a deadline (the configured one when the caller set
 * none, so no call can wait forever on a stuck server), the current tenant, the request id of the
 * user request being served, and the calling service's name, in the metadata keys
 * {@link TenantServerInterceptor} reads on the other side. The trace context travels through
 * Micrometer's observation interceptor, which the channel also has when tracing is configured.
 *
 * <p>Tenant and request id are read when the call is created, on the caller's thread: that is where
 * {@link TenantContext} and the log context are bound.
 */
class CallContextClientInterceptor implements ClientInterceptor {

  private final Duration deadline;
  private final String caller;
  private final IdentityTokens tokens;

  /** @param tokens signs the call's identity; null where the called services trust headers (tests) */
  CallContextClientInterceptor(Duration deadline, String caller, IdentityTokens tokens) {
    this.deadline = deadline;
    this.caller = caller == null || caller.isBlank() ? null : caller;
    this.tokens = tokens;
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    CallOptions withDeadline = options.getDeadline() == null
        ? options.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        : options;
    String tenant = TenantContext.current();
    String requestId = MDC.get(RequestIdFilter.MDC_KEY);
    // the user's identity while serving the user's call; the service's own for its background work
    String identity = tokens == null ? null
        : tokens.sign(TenantContext.caller().orElseGet(() -> CallerIdentity.service(caller, tenant)));
    return new SimpleForwardingClientCall<>(next.newCall(method, withDeadline)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        headers.put(TenantServerInterceptor.TENANT, tenant);
        if (identity != null) {
          headers.put(TenantServerInterceptor.IDENTITY, identity);
        }
        if (requestId != null) {
          headers.put(TenantServerInterceptor.REQUEST_ID, requestId);
        }
        if (caller != null) {
          headers.put(TenantServerInterceptor.CALLER, caller);
        }
        super.start(listener, headers);
      }
    };
  }
}
