package dev.divergence.gateway.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import dev.divergence.gateway.ratelimit.RateLimitProperties;
import dev.divergence.gateway.ratelimit.RateLimiter;
import dev.divergence.gateway.ratelimit.RequestClass;
import dev.divergence.platform.tenancy.CallerIdentity;
import dev.divergence.proto.inference.v1.GenerateRequest;
import dev.divergence.platform.tenancy.IdentityTokens;
import dev.divergence.platform.tenancy.Roles;
import dev.divergence.platform.tenancy.TenantServerInterceptor;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.grpc.StatusException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every call the gateway forwards: authenticate the caller (UNAUTHENTICATED), check its role against
 * the method (PERMISSION_DENIED), find the service that owns the call's proto package
 * (UNIMPLEMENTED naming the service when none does), and relay the call with the caller's identity
 * signed for the service in place of its credentials. The caller's deadline goes along (gRPC
 * propagates the server call's deadline and cancellation to a client call started in its context);
 * a unary call without one gets the configured default. Calls draw from the caller's rate limit
 * buckets, the same ones its REST calls draw from (RESOURCE_EXHAUSTED with RetryInfo once empty).
 */
final class ForwardingHandler implements ServerCallHandler<byte[], byte[]> {

  /** A service behind the entry point: its name (training, ...), its target and the channel to it. */
  record Route(String service, String target, Channel channel) {}

  private static final Logger log = LoggerFactory.getLogger(ForwardingHandler.class);
  private static final Logger audit = LoggerFactory.getLogger("divergence.audit");
  // the same rule the services apply to the request id; anything else is replaced by a fresh one
  private static final Pattern SANE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  // what a caller may not hand to a service: its credentials, and anything that claims an identity,
  // a tenant or a caller the gateway did not establish itself
  private static final Set<String> DROPPED = Set.of(
      GrpcCallerAuthenticator.API_KEY.name(), GrpcCallerAuthenticator.AUTHORIZATION.name(),
      TenantServerInterceptor.IDENTITY.name(), TenantServerInterceptor.TENANT.name(),
      TenantServerInterceptor.CALLER.name(), TenantServerInterceptor.REQUEST_ID.name());

  /** Generation is limited by the tokens it asks for, as over REST. */
  static final Set<String> GENERATION_METHODS = Set.of(
      "dev.divergence.inference.v1.GenerationService/Generate", "dev.divergence.inference.v1.GenerationService/GenerateStream");
  // the inference service's max_tokens when a request sets none
  static final int DEFAULT_MAX_TOKENS = 64;
  static final Metadata.Key<String> RATE_LIMIT_LIMIT = Metadata.Key.of("ratelimit-limit", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> RATE_LIMIT_REMAINING = Metadata.Key.of("ratelimit-remaining", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> RATE_LIMIT_RESET = Metadata.Key.of("ratelimit-reset", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> RATE_LIMIT_POLICY = Metadata.Key.of("ratelimit-policy", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

  private final GrpcCallerAuthenticator authenticator;
  private final MethodAccess access;
  private final IdentityTokens tokens;
  private final Map<String, Route> routesByPackage;
  private final Duration defaultDeadline;
  private final RateLimiter limiter;
  private final RateLimitProperties limits;
  private final io.micrometer.core.instrument.MeterRegistry meters;

  /** {@code limiter} null: no rate limits (nor when {@code limits} turns them off). */
  ForwardingHandler(GrpcCallerAuthenticator authenticator, MethodAccess access, IdentityTokens tokens,
      Map<String, Route> routesByPackage, Duration defaultDeadline, RateLimiter limiter, RateLimitProperties limits,
      io.micrometer.core.instrument.MeterRegistry meters) {
    this.meters = meters;
    this.limiter = limits == null || !limits.enabled() ? null : limiter;
    this.limits = limits;
    this.authenticator = authenticator;
    this.access = access;
    this.tokens = tokens;
    this.routesByPackage = Map.copyOf(routesByPackage);
    this.defaultDeadline = defaultDeadline;
  }

  @Override
  public ServerCall.Listener<byte[]> startCall(ServerCall<byte[], byte[]> call, Metadata headers) {
    String method = call.getMethodDescriptor().getFullMethodName();
    String sentRequestId = headers.get(TenantServerInterceptor.REQUEST_ID);
    String requestId = sentRequestId != null && SANE_REQUEST_ID.matcher(sentRequestId).matches()
        ? sentRequestId : UUID.randomUUID().toString();
    Metadata echoed = new Metadata();
    echoed.put(TenantServerInterceptor.REQUEST_ID, requestId);
    String required = access.requiredRole(method);

    CallerIdentity caller;
    try {
      caller = authenticator.authenticate(headers);
    } catch (GrpcCallerAuthenticator.Unauthenticated e) {
      return refuse(call, echoed, null, required, GatewayStatus.of(Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED",
          e.getMessage(), Map.of("method", method)));
    } catch (dev.divergence.gateway.auth.CallerAuthentication.TenantNotAllowedException e) {
      return refuse(call, echoed, null, required, GatewayStatus.of(Status.Code.PERMISSION_DENIED, "TENANT_NOT_ALLOWED",
          "x-divergence-tenant: " + e.getMessage(), Map.of("method", method)));
    } catch (RuntimeException e) {
      log.error("could not check the credentials of a call to {}", method, e);
      return refuse(call, echoed, null, required, GatewayStatus.of(Status.Code.UNAVAILABLE, "CREDENTIALS_UNCHECKED",
          "the gateway cannot check credentials at the moment; retry later", Map.of("method", method)));
    }
    if (!Roles.includes(caller.roles(), required)) {
      return refuse(call, echoed, caller, required, GatewayStatus.of(Status.Code.PERMISSION_DENIED, "ROLE_TOO_WEAK",
          method + " needs the role " + required + " (or a stronger one); the caller has " + caller.roles().stream().sorted().toList(),
          Map.of("method", method, "requiredRole", required)));
    }
    String service = MethodDescriptor.extractFullServiceName(method);
    int dot = service == null ? -1 : service.lastIndexOf('.');
    Route route = dot <= 0 ? null : routesByPackage.get(service.substring(0, dot));
    if (route == null) {
      String sent = service == null ? method : service;
      // the name is the caller's and goes back three times (description, status details, ErrorInfo): cut
      // short, so a long one cannot push the trailers past a client's limit (8 KiB in grpc-java)
      String named = sent.length() <= 200 ? sent : sent.substring(0, 200) + "...";
      return refuse(call, echoed, caller, required, GatewayStatus.of(Status.Code.UNIMPLEMENTED, "UNKNOWN_SERVICE",
          "the gateway routes no service " + named + "; it routes the packages " + routesByPackage.keySet().stream().sorted().toList(),
          Map.of("service", named)));
    }

    Supplier<ServerCall.Listener<byte[]>> forward = () -> forward(call, headers, caller, requestId, echoed, required, route);
    if (limiter == null) {
      return forward.get();
    }
    if (GENERATION_METHODS.contains(method)) {
      return chargedOnFirstMessage(call, echoed, caller, required, forward);
    }
    StatusException limited = charge(caller, Roles.VIEWER.equals(required) ? RequestClass.READ : RequestClass.SUBMISSION, 1, echoed);
    return limited == null ? forward.get() : refuse(call, echoed, caller, required, limited);
  }

  private ServerCall.Listener<byte[]> forward(ServerCall<byte[], byte[]> call, Metadata headers, CallerIdentity caller,
      String requestId, Metadata echoed, String required, Route route) {
    String method = call.getMethodDescriptor().getFullMethodName();
    CallOptions options = CallOptions.DEFAULT;
    Deadline callers = Context.current().getDeadline();
    MethodDescriptor.MethodType type = call.getMethodDescriptor().getType();
    boolean streamsBack = type == MethodDescriptor.MethodType.SERVER_STREAMING || type == MethodDescriptor.MethodType.BIDI_STREAMING;
    if (callers != null) {
      options = options.withDeadline(callers);
    } else if (!streamsBack) {
      options = options.withDeadlineAfter(defaultDeadline.toMillis(), TimeUnit.MILLISECONDS);
    }
    ClientCall<byte[], byte[]> toService = route.channel().newCall(call.getMethodDescriptor(), options);
    ProxyCall proxy = new ProxyCall(call, toService, echoed,
        (status, trailers, answered) -> unreached(route, status, trailers, answered),
        status -> audit(caller, method, required, status));
    return proxy.start(forwarded(headers, caller, requestId));
  }

  /**
   * A generation costs the tokens it asks for, which only its request says: the call to the service
   * starts once the request has arrived and been charged. gRPC runs the listener in the caller's call
   * context, so the service's call still gets the caller's deadline and cancellation.
   */
  private ServerCall.Listener<byte[]> chargedOnFirstMessage(ServerCall<byte[], byte[]> call, Metadata echoed,
      CallerIdentity caller, String required, Supplier<ServerCall.Listener<byte[]>> forward) {
    call.request(1);
    return new ServerCall.Listener<>() {
      private ServerCall.Listener<byte[]> forwarding;
      private boolean refused;

      private boolean charged(long tokens) {
        StatusException limited = charge(caller, RequestClass.GENERATION, tokens, echoed);
        if (limited != null) {
          refused = true;
          refuse(call, echoed, caller, required, limited);
          return false;
        }
        forwarding = forward.get();
        return true;
      }

      @Override
      public void onMessage(byte[] message) {
        if (forwarding != null) {
          forwarding.onMessage(message);
        } else if (!refused && charged(requestedTokens(message))) {
          forwarding.onMessage(message);
        }
      }

      @Override
      public void onHalfClose() {
        // no request at all: the service says what is wrong with that; the call costs the default
        if (forwarding != null || (!refused && charged(DEFAULT_MAX_TOKENS))) {
          forwarding.onHalfClose();
        }
      }

      @Override
      public void onCancel() {
        if (forwarding != null) {
          forwarding.onCancel();
        }
      }

      @Override
      public void onReady() {
        if (forwarding != null) {
          forwarding.onReady();
        }
      }
    };
  }

  /** The tokens a generation asks for: its max_tokens, or the service's default when unset or unreadable. */
  static long requestedTokens(byte[] request) {
    try {
      GenerateRequest generate = GenerateRequest.parseFrom(request);
      return generate.hasMaxTokens() && generate.getMaxTokens() > 0 ? generate.getMaxTokens() : DEFAULT_MAX_TOKENS;
    } catch (InvalidProtocolBufferException e) {
      // the service answers the malformed request with INVALID_ARGUMENT; the call still costs the default
      return DEFAULT_MAX_TOKENS;
    }
  }

  /**
   * Takes {@code cost} from the caller's bucket of the class, and tells the caller how full it is as
   * REST's RateLimit-* headers do; a refusal when the bucket cannot pay, null when it could.
   */
  private StatusException charge(CallerIdentity caller, RequestClass requestClass, long cost, Metadata echoed) {
    RateLimiter.Decision decision;
    try {
      decision = limiter.tryConsume(caller.subject(), requestClass, cost);
    } catch (RuntimeException e) {
      log.error("could not read the rate limit bucket of {}", caller.subject(), e);
      return GatewayStatus.of(Status.Code.UNAVAILABLE, "RATE_LIMIT_UNCHECKED",
          "the gateway cannot check rate limits at the moment; retry later", Map.of("limit", requestClass.apiName()));
    }
    RateLimitProperties.Limit limit = limits.limitOf(requestClass);
    echoed.put(RATE_LIMIT_LIMIT, Long.toString(decision.limit()));
    echoed.put(RATE_LIMIT_REMAINING, Long.toString(Math.max(0, decision.remaining())));
    echoed.put(RATE_LIMIT_RESET, Long.toString(ceilSeconds(decision.resetAfter())));
    echoed.put(RATE_LIMIT_POLICY, decision.limit() + ";w=" + limit.period().toSeconds() + ";name=\"" + requestClass.apiName() + "\"");
    if (decision.allowed()) {
      return null;
    }
    long retryAfter = Math.max(1, ceilSeconds(decision.retryAfter()));
    // the counter REST's 429s increment: one figure of refused calls whichever way they came
    meters.counter("divergence.gateway.rate_limited", "class", requestClass.apiName()).increment();
    echoed.put(RETRY_AFTER, Long.toString(retryAfter));
    return GatewayStatus.of(Status.Code.RESOURCE_EXHAUSTED, "RATE_LIMITED",
        "rate limit of " + requestClass.apiName() + " reached (" + decision.limit() + " per " + limit.period()
            + "); retry after " + retryAfter + " s",
        Map.of("limit", requestClass.apiName(), "retryAfterSeconds", Long.toString(retryAfter)),
        RetryInfo.newBuilder().setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(retryAfter)).build());
  }

  private static long ceilSeconds(Duration duration) {
    return (duration.toMillis() + 999) / 1000;
  }

  /** What the service receives: the caller's own metadata less credentials and claims, plus the gateway's proof. */
  private Metadata forwarded(Metadata headers, CallerIdentity caller, String requestId) {
    Metadata forwarded = new Metadata();
    forwarded.merge(headers);
    for (String key : List.copyOf(headers.keys())) {
      // grpc-* belongs to the transport (grpc-timeout, grpc-accept-encoding, ...): the gateway's own call sets it
      if (DROPPED.contains(key) || key.startsWith("grpc-")) {
        if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
          forwarded.discardAll(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER));
        } else {
          forwarded.discardAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
        }
      }
    }
    forwarded.put(TenantServerInterceptor.IDENTITY, tokens.sign(caller));
    // for the service's logs only: a verifying service believes the signed identity, not this
    forwarded.put(TenantServerInterceptor.TENANT, caller.tenant());
    forwarded.put(TenantServerInterceptor.REQUEST_ID, requestId);
    forwarded.put(TenantServerInterceptor.CALLER, "gateway");
    return forwarded;
  }

  /** A service that could not be reached is named in the status, as REST names it in its 503. */
  private static Status unreached(Route route, Status status, Metadata trailers, boolean answered) {
    if (answered || status.getCode() != Status.Code.UNAVAILABLE) {
      return status;
    }
    StatusException named = GatewayStatus.of(Status.Code.UNAVAILABLE, "SERVICE_UNAVAILABLE",
        "the " + route.service() + " service is unavailable: " + status.getDescription(),
        Map.of("service", route.service()));
    trailers.merge(named.getTrailers());
    return named.getStatus().withCause(status.getCause());
  }

  private static ServerCall.Listener<byte[]> refuse(ServerCall<byte[], byte[]> call, Metadata echoed, CallerIdentity caller,
      String required, StatusException refusal) {
    Metadata trailers = refusal.getTrailers();
    trailers.merge(echoed);
    audit(caller, call.getMethodDescriptor().getFullMethodName(), required, refusal.getStatus());
    call.close(refusal.getStatus(), trailers);
    return new ServerCall.Listener<>() {};
  }

  /** Changes (methods that need more than viewer) are audited like REST's non-GET calls, refused ones included. */
  private static void audit(CallerIdentity caller, String method, String required, Status status) {
    if (Roles.VIEWER.equals(required)) {
      return;
    }
    String subject = caller == null ? "anonymous" : caller.subject();
    audit.atInfo()
        .addKeyValue("audit.subject", subject)
        .addKeyValue("audit.tenant", caller == null ? "" : caller.tenant())
        .addKeyValue("audit.method", "grpc")
        .addKeyValue("audit.path", method)
        .addKeyValue("audit.status", status.getCode().name())
        .log("grpc {} by {} -> {}", method, subject, status.getCode());
  }
}
