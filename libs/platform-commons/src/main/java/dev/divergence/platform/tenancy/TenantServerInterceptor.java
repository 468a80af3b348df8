package dev.divergence.platform.tenancy;

import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.web.RequestIdFilter;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.util.regex.Pattern;
import org.slf4j.MDC;

/**
 * The gRPC counterpart of {@link TenantFilter} and {@link RequestIdFilter}: binds the caller and
 * tenant proven by the signed identity token in {@link #IDENTITY} metadata (UNAUTHENTICATED without
 * a valid one; health and reflection stay open), and puts the caller's request id and service name
 * into the log context. gRPC runs a call's callbacks on whichever executor thread is free, so the
 * tenant is bound around each callback, not once per call. A server that trusts headers (test
 * doubles, a service's own tests) takes the tenant from {@link #TENANT} metadata instead; a
 * malformed one is INVALID_ARGUMENT naming the metadata key; the service never sees the call.
 */
public class TenantServerInterceptor implements ServerInterceptor {

  /** The gateway's signed identity token, as {@link IdentityTokens#HEADER} carries it over REST. */
  public static final Metadata.Key<String> IDENTITY =
      Metadata.Key.of(IdentityTokens.HEADER.toLowerCase(java.util.Locale.ROOT), Metadata.ASCII_STRING_MARSHALLER);

  /** The tenant of the call: the same name as the REST header, in gRPC's lower-case form. */
  public static final Metadata.Key<String> TENANT =
      Metadata.Key.of(TenantContext.HEADER.toLowerCase(java.util.Locale.ROOT), Metadata.ASCII_STRING_MARSHALLER);
  /** The request id of the user request that caused the call, as in {@link RequestIdFilter#HEADER}. */
  public static final Metadata.Key<String> REQUEST_ID =
      Metadata.Key.of(RequestIdFilter.HEADER.toLowerCase(java.util.Locale.ROOT), Metadata.ASCII_STRING_MARSHALLER);
  /** The calling service's {@code spring.application.name}. */
  public static final Metadata.Key<String> CALLER = Metadata.Key.of("divergence-caller", Metadata.ASCII_STRING_MARSHALLER);
  public static final String CALLER_MDC_KEY = "caller";

  // the same rule RequestIdFilter applies to the REST header: anything else is not logged
  private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TenantServerInterceptor.class);
  // probes and tools: no tenant's data behind them
  private static final java.util.Set<String> OPEN_SERVICES = java.util.Set.of("grpc.health.v1.Health",
      "grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection");

  private final IdentityPolicy policy;

  public TenantServerInterceptor(IdentityPolicy policy) {
    this.policy = policy;
  }

  /** A server that believes the tenant metadata: for test doubles of other services only. */
  public TenantServerInterceptor() {
    this(IdentityPolicy.trustHeaders());
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (policy.verifiesCalls() && !OPEN_SERVICES.contains(call.getMethodDescriptor().getServiceName())) {
      CallerIdentity caller;
      try {
        caller = policy.tokens().orElseThrow().verify(headers.get(IDENTITY));
      } catch (InvalidIdentityException e) {
        log.warn("rejected {}: {}", call.getMethodDescriptor().getFullMethodName(), e.getMessage());
        call.close(io.grpc.Status.UNAUTHENTICATED.withDescription(e.getMessage()
            + ": services answer only calls the gateway forwards (metadata " + IDENTITY.name() + ")"), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return bound(call, headers, next, new Bound(caller.tenant(), caller, saneOrNull(headers.get(REQUEST_ID)),
          saneOrNull(headers.get(CALLER))));
    }
    String sentTenant = headers.get(TENANT);
    if (sentTenant != null && !TenantContext.isValid(sentTenant)) {
      StatusRuntimeException rejected = GrpcStatusMapper.toStatus(new InvalidArgumentException(
          TENANT.name(), "must match [a-z0-9][a-z0-9-]{0,62}, got '" + sentTenant + "'"));
      call.close(rejected.getStatus(), rejected.getTrailers() == null ? new Metadata() : rejected.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    String tenant = sentTenant == null ? TenantContext.DEFAULT_TENANT : sentTenant;
    String requestId = saneOrNull(headers.get(REQUEST_ID));
    String caller = saneOrNull(headers.get(CALLER));
    return bound(call, headers, next, new Bound(tenant, null, requestId, caller));
  }

  private static <Q, R> ServerCall.Listener<Q> bound(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next,
      Bound bound) {
    ServerCall.Listener<Q> delegate = bound.call(() -> next.startCall(call, headers));
    return new SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(Q message) {
        bound.run(() -> super.onMessage(message));
      }

      @Override
      public void onHalfClose() {
        bound.run(super::onHalfClose);
      }

      @Override
      public void onCancel() {
        bound.run(super::onCancel);
      }

      @Override
      public void onComplete() {
        bound.run(super::onComplete);
      }

      @Override
      public void onReady() {
        bound.run(super::onReady);
      }
    };
  }

  private static String saneOrNull(String value) {
    return value != null && SANE.matcher(value).matches() ? value : null;
  }

  private record Bound(String tenant, CallerIdentity identity, String requestId, String caller) {

    void run(Runnable step) {
      call(() -> {
        step.run();
        return null;
      });
    }

    <T> T call(java.util.function.Supplier<T> step) {
      if (identity == null) {
        TenantContext.set(tenant);
      } else {
        TenantContext.bind(identity);
      }
      putOrRemove(RequestIdFilter.MDC_KEY, requestId);
      putOrRemove(CALLER_MDC_KEY, caller);
      try {
        return step.get();
      } finally {
        TenantContext.clear();
        MDC.remove(RequestIdFilter.MDC_KEY);
        MDC.remove(CALLER_MDC_KEY);
      }
    }

    private static void putOrRemove(String key, String value) {
      if (value == null) {
        MDC.remove(key);
      } else {
        MDC.put(key, value);
      }
    }
  }
}
