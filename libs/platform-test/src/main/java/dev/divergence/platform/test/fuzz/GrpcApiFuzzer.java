package dev.divergence.platform.test.fuzz;

import dev.divergence.platform.test.grpc.RawBytes;
import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.function.Supplier;

/**
 * Sends thousands of mutated requests to every unary and server-streaming method of the given gRPC
 * services and checks two rules: no call ends INTERNAL, UNKNOWN, DATA_LOSS or UNIMPLEMENTED (nor runs
 * out its deadline, for a unary call), and a call that failed changed no row of the service's tables.
 * Optionally ({@link Builder#badRequests}) an INVALID_ARGUMENT must carry what the platform's rule asks
 * of it, e.g. the trailer naming the field.
 *
 * <p>Requests start from a valid example the test registers for the method (or the empty message) and
 * are mutated through their descriptors (see {@link ProtoMutator}); some are sent as bytes broken
 * below the protobuf level (truncated, a byte flipped, a string field that is not UTF-8). A
 * server-streaming call is judged on its status, or on its first message, after which it is
 * cancelled, so a valid watch does not hold the run. Everything follows from the seed.
 */
public final class GrpcApiFuzzer {

  private static final Set<Status.Code> SERVER_FAULTS =
      Set.of(Status.Code.INTERNAL, Status.Code.UNKNOWN, Status.Code.DATA_LOSS, Status.Code.UNIMPLEMENTED);

  private final Channel channel;
  private final List<ServiceDescriptor> services;
  private final long seed;
  private final int requests;
  private final Map<String, List<Supplier<Message>>> examples;
  private final Set<String> skipped;
  private final DatabaseSnapshot database;
  private final long deadlineMillis;
  private final boolean brokenBytes;
  private final BiPredicate<Status, Metadata> badRequestRule;
  private final String badRequestRuleText;

  private GrpcApiFuzzer(Builder builder) {
    this.channel = builder.channel;
    this.services = builder.services;
    this.seed = builder.seed;
    this.requests = builder.requests;
    this.examples = builder.examples;
    this.skipped = builder.skipped;
    this.database = builder.database;
    this.deadlineMillis = builder.deadlineMillis;
    this.brokenBytes = builder.brokenBytes;
    this.badRequestRule = builder.badRequestRule;
    this.badRequestRuleText = builder.badRequestRuleText;
  }

  public static Builder forChannel(Channel channel) {
    return new Builder(channel);
  }

  public static final class Builder {
    private final Channel channel;
    private final List<ServiceDescriptor> services = new ArrayList<>();
    private long seed = Fuzzing.seed();
    private int requests = Fuzzing.requests(1500);
    private final Map<String, List<Supplier<Message>>> examples = new HashMap<>();
    private final Set<String> skipped = new HashSet<>();
    private DatabaseSnapshot database;
    private long deadlineMillis = 30_000;
    private boolean brokenBytes = true;
    private BiPredicate<Status, Metadata> badRequestRule;
    private String badRequestRuleText;

    private Builder(Channel channel) {
      this.channel = channel;
    }

    public Builder service(ServiceDescriptor service) {
      services.add(service);
      return this;
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder requests(int requests) {
      this.requests = requests;
      return this;
    }

    /** A valid request of {@code method}, made afresh for each use (it may name resources that exist now). */
    public Builder example(MethodDescriptor<?, ?> method, Supplier<Message> example) {
      examples.computeIfAbsent(method.getFullMethodName(), k -> new ArrayList<>()).add(example);
      return this;
    }

    /** Leaves a method out (say why where you call it). */
    public Builder skip(MethodDescriptor<?, ?> method) {
      skipped.add(method.getFullMethodName());
      return this;
    }

    public Builder database(DatabaseSnapshot database) {
      this.database = database;
      return this;
    }

    /**
     * Whether some requests are bytes that do not parse (default true). Only for a server without
     * platform-commons' gRPC server, which answers those UNKNOWN, as grpc-java does on its own.
     */
    public Builder brokenBytes(boolean send) {
      this.brokenBytes = send;
      return this;
    }

    /**
     * What an INVALID_ARGUMENT must carry, as a check of (status, trailers), and its wording for the report;
     * e.g. platform-commons' trailer naming the field. Unset, an INVALID_ARGUMENT is not looked into.
     */
    public Builder badRequests(String what, BiPredicate<Status, Metadata> rule) {
      this.badRequestRuleText = what;
      this.badRequestRule = rule;
      return this;
    }

    public Builder deadline(long millis) {
      this.deadlineMillis = millis;
      return this;
    }

    public GrpcApiFuzzer build() {
      return new GrpcApiFuzzer(this);
    }
  }

  private record Outcome(Status status, Metadata trailers) {

    Status.Code code() {
      return status.getCode();
    }

    String description() {
      return String.valueOf(status.getDescription());
    }
  }

  public FuzzReport run() {
    List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
    for (ServiceDescriptor service : services) {
      for (MethodDescriptor<?, ?> method : service.getMethods()) {
        boolean supported = method.getType() == MethodDescriptor.MethodType.UNARY
            || method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING;
        if (supported && !skipped.contains(method.getFullMethodName())) {
          methods.add(method);
        }
      }
    }
    if (methods.isEmpty()) {
      throw new IllegalStateException("no unary or server-streaming methods to fuzz");
    }
    Random random = new Random(seed);
    ProtoMutator mutator = new ProtoMutator(random);
    Map<String, Integer> outcomes = new TreeMap<>();
    List<FuzzFailure> failures = new ArrayList<>();
    DatabaseSnapshot.Watch tables = database == null ? null : database.watch();
    for (int i = 0; i < requests; i++) {
      MethodDescriptor<?, ?> method = methods.get(random.nextInt(methods.size()));
      Message request = startingPoint(method, random);
      int mutations = random.nextInt(8) == 0 ? 0 : 1 + random.nextInt(3);
      for (int m = 0; m < mutations; m++) {
        request = mutator.mutate(request);
      }
      byte[] bytes = request.toByteArray();
      String description = method.getFullMethodName() + " " + FuzzValues.printable(request.toString().replace('\n', ' '), 2000);
      if (random.nextInt(10) == 0 && brokenBytes) {
        bytes = brokenBelowProtobuf(bytes, random);
        description = method.getFullMethodName() + " raw bytes " + Arrays.toString(Arrays.copyOf(bytes, Math.min(bytes.length, 200)));
      }
      Outcome outcome = call(method, bytes);
      outcomes.merge(method.getBareMethodName() + " " + outcome.code(), 1, Integer::sum);
      boolean streaming = method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING;
      if (SERVER_FAULTS.contains(outcome.code()) || !streaming && outcome.code() == Status.Code.DEADLINE_EXCEEDED) {
        failures.add(new FuzzFailure(i, "ended " + outcome.code(), description, outcome.code() + ": " + outcome.description()));
      }
      if (badRequestRule != null && outcome.code() == Status.Code.INVALID_ARGUMENT
          && !badRequestRule.test(outcome.status(), outcome.trailers())) {
        failures.add(new FuzzFailure(i, "was INVALID_ARGUMENT without " + badRequestRuleText, description,
            outcome.code() + ": " + outcome.description() + " " + outcome.trailers()));
      }
      List<String> changed = tables == null ? List.of() : tables.changedBy(outcome.code() != Status.Code.OK);
      if (!changed.isEmpty()) {
        failures.add(new FuzzFailure(i, "failed but changed the tables " + changed, description,
                outcome.code() + ": " + outcome.description()));
      }
    }
    FuzzReport report = new FuzzReport("gRPC " + services.stream().map(ServiceDescriptor::getName).toList(),
        seed, requests, outcomes, failures);
    System.out.println(report);
    return report;
  }

  private Message startingPoint(MethodDescriptor<?, ?> method, Random random) {
    List<Supplier<Message>> known = examples.get(method.getFullMethodName());
    if (known != null && random.nextInt(5) != 0) {
      return known.get(random.nextInt(known.size())).get();
    }
    if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> prototype
        && prototype.getMessagePrototype() instanceof Message message) {
      return message;
    }
    throw new IllegalStateException(method.getFullMethodName() + " has no protobuf request prototype");
  }

  private Outcome call(MethodDescriptor<?, ?> method, byte[] request) {
    MethodDescriptor<byte[], byte[]> raw = method.toBuilder(RawBytes.MARSHALLER, RawBytes.MARSHALLER).build();
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    try {
      if (method.getType() == MethodDescriptor.MethodType.UNARY) {
        ClientCalls.blockingUnaryCall(channel, raw, options, request);
        return new Outcome(Status.OK, new Metadata());
      }
      Context.CancellableContext scope = Context.current().withCancellation();
      Context previous = scope.attach();
      try {
        Iterator<byte[]> responses = ClientCalls.blockingServerStreamingCall(channel, raw, options, request);
        // the first message (or the end of the stream) decides; a valid watch would stream on
        responses.hasNext();
        return new Outcome(Status.OK, new Metadata());
      } finally {
        scope.detach(previous);
        scope.cancel(null);
      }
    } catch (StatusRuntimeException failure) {
      return new Outcome(failure.getStatus(), failure.getTrailers() == null ? new Metadata() : failure.getTrailers());
    }
  }

  /** Bytes that do not parse as the request: truncated, a byte flipped, a string field that is not UTF-8. */
  private static byte[] brokenBelowProtobuf(byte[] message, Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> Arrays.copyOf(message, message.length == 0 ? 0 : random.nextInt(message.length));
      case 1 -> {
        byte[] broken = message.length == 0 ? new byte[] {0x0a, 0x05} : message.clone();
        broken[random.nextInt(broken.length)] ^= (byte) (1 + random.nextInt(255));
        yield broken;
      }
      case 2 -> {
        // field 1 as length-delimited bytes C3 28 (not UTF-8), appended: most requests' field 1 is a string
        byte[] invalid = Arrays.copyOf(message, message.length + 4);
        invalid[message.length] = 0x0a;
        invalid[message.length + 1] = 0x02;
        invalid[message.length + 2] = (byte) 0xc3;
        invalid[message.length + 3] = 0x28;
        yield invalid;
      }
      default -> {
        byte[] noise = new byte[1 + random.nextInt(64)];
        random.nextBytes(noise);
        yield noise;
      }
    };
  }
}
