package dev.divergence.platform.grpc;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.MapEntry;
import com.google.protobuf.Message;
import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.text.TextRules;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Applies {@link dev.divergence.platform.text.TextRules} to every string of every incoming protobuf
 * message (nested messages, repeated fields, map keys and values) before the service sees it. A
 * violation ends the call with INVALID_ARGUMENT naming the field by its JSON path (the same name
 * REST uses, e.g. {@code spec.distillation.teacherModel}, {@code names[2]}, {@code labels[key]}),
 * and the message is not delivered.
 */
public class TextRulesInterceptor implements ServerInterceptor {

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    return new SimpleForwardingServerCallListener<>(delegate) {
      private boolean rejected;

      @Override
      public void onMessage(Q message) {
        if (rejected) {
          return;
        }
        List<FieldViolation> violations = message instanceof Message proto ? violationsIn(proto) : List.of();
        if (violations.isEmpty()) {
          super.onMessage(message);
          return;
        }
        rejected = true;
        StatusRuntimeException status = GrpcStatusMapper.toStatus(new InvalidArgumentException(violations));
        call.close(status.getStatus(), status.getTrailers() == null ? new Metadata() : status.getTrailers());
      }

      @Override
      public void onHalfClose() {
        // a unary handler would answer "half-closed without a request" for the message held back
        if (!rejected) {
          super.onHalfClose();
        }
      }
    };
  }

  /** Every string of {@code message} (recursively) that breaks the rules, named by its JSON path. */
  public static List<FieldViolation> violationsIn(Message message) {
    List<FieldViolation> violations = new ArrayList<>();
    collect(message, "", violations);
    return violations;
  }

  private static void collect(Message message, String prefix, List<FieldViolation> violations) {
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      FieldDescriptor descriptor = field.getKey();
      String path = prefix.isEmpty() ? descriptor.getJsonName() : prefix + "." + descriptor.getJsonName();
      if (descriptor.isMapField()) {
        for (Object entry : (List<?>) field.getValue()) {
          collectMapEntry((Message) entry, path, violations);
        }
      } else if (descriptor.isRepeated()) {
        List<?> values = (List<?>) field.getValue();
        for (int i = 0; i < values.size(); i++) {
          collectValue(descriptor, values.get(i), path + "[" + i + "]", violations);
        }
      } else {
        collectValue(descriptor, field.getValue(), path, violations);
      }
    }
  }

  private static void collectMapEntry(Message entry, String path, List<FieldViolation> violations) {
    FieldDescriptor keyField = entry.getDescriptorForType().findFieldByNumber(1);
    FieldDescriptor valueField = entry.getDescriptorForType().findFieldByNumber(2);
    Object key = entry instanceof MapEntry<?, ?> typed ? typed.getKey() : entry.getField(keyField);
    Object value = entry instanceof MapEntry<?, ?> typed ? typed.getValue() : entry.getField(valueField);
    if (key instanceof String text) {
      String problem = TextRules.problemIn(text);
      if (problem != null) {
        violations.add(new FieldViolation(path, "has a key that " + problem));
        return;
      }
    }
    collectValue(valueField, value, path + "[" + key + "]", violations);
  }

  private static void collectValue(FieldDescriptor descriptor, Object value, String path, List<FieldViolation> violations) {
    if (descriptor.getJavaType() == FieldDescriptor.JavaType.STRING && value instanceof String text) {
      String problem = TextRules.problemIn(text);
      if (problem != null) {
        violations.add(new FieldViolation(path, problem));
      }
    } else if (descriptor.getJavaType() == FieldDescriptor.JavaType.MESSAGE && value instanceof Message nested) {
      collect(nested, path, violations);
    }
  }
}
