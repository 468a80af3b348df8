package dev.divergence.platform.test.fuzz;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.List;
import java.util.Random;

/**
 * Mutates protobuf messages through their descriptors: one mutation picks a field at some depth (set
 * or not, nested messages, repeated and map fields, oneofs) and sets it to an edge case of its type
 * (a string with a NUL spliced in, integers at their limits, NaN and infinities, enum numbers the
 * schema does not define), clears it, or adds elements.
 */
final class ProtoMutator {

  private static final int MAX_DEPTH = 5;

  private final Random random;

  ProtoMutator(Random random) {
    this.random = random;
  }

  Message mutate(Message message) {
    return mutate(message, 0);
  }

  private Message mutate(Message message, int depth) {
    List<FieldDescriptor> fields = message.getDescriptorForType().getFields();
    if (fields.isEmpty()) {
      return message;
    }
    FieldDescriptor field = fields.get(random.nextInt(fields.size()));
    Message.Builder builder = message.toBuilder();
    if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !field.isRepeated()
        && depth < MAX_DEPTH && random.nextInt(10) < 6) {
      Message nested = message.hasField(field) ? (Message) message.getField(field)
          : builder.newBuilderForField(field).build();
      return builder.setField(field, mutate(nested, depth + 1)).build();
    }
    if (random.nextInt(8) == 0) {
      return builder.clearField(field).build();
    }
    if (field.isMapField()) {
      Message.Builder entry = builder.newBuilderForField(field);
      FieldDescriptor key = field.getMessageType().findFieldByNumber(1);
      FieldDescriptor value = field.getMessageType().findFieldByNumber(2);
      entry.setField(key, valueOf(key, entry, depth));
      entry.setField(value, valueOf(value, entry, depth));
      return builder.addRepeatedField(field, entry.build()).build();
    }
    if (field.isRepeated()) {
      int count = random.nextInt(6) == 0 ? 200 : 1 + random.nextInt(3);
      for (int i = 0; i < count; i++) {
        builder.addRepeatedField(field, valueOf(field, builder, depth));
      }
      return builder.build();
    }
    return builder.setField(field, valueOf(field, builder, depth)).build();
  }

  private Object valueOf(FieldDescriptor field, Message.Builder owner, int depth) {
    return switch (field.getJavaType()) {
      case STRING -> random.nextBoolean() ? FuzzValues.withControlCharacter(random, FuzzValues.string(random))
          : FuzzValues.string(random);
      case INT -> switch (random.nextInt(6)) {
        case 0 -> Integer.MAX_VALUE;
        case 1 -> Integer.MIN_VALUE;
        case 2 -> -1;
        case 3 -> 0;
        default -> random.nextInt(100);
      };
      case LONG -> switch (random.nextInt(6)) {
        case 0 -> Long.MAX_VALUE;
        case 1 -> Long.MIN_VALUE;
        case 2 -> -1L;
        case 3 -> 0L;
        default -> (long) random.nextInt(100);
      };
      case DOUBLE -> switch (random.nextInt(6)) {
        case 0 -> Double.NaN;
        case 1 -> Double.POSITIVE_INFINITY;
        case 2 -> Double.NEGATIVE_INFINITY;
        default -> FuzzValues.decimal(random);
      };
      case FLOAT -> switch (random.nextInt(5)) {
        case 0 -> Float.NaN;
        case 1 -> Float.POSITIVE_INFINITY;
        case 2 -> Float.MAX_VALUE;
        default -> (float) FuzzValues.decimal(random);
      };
      case BOOLEAN -> random.nextBoolean();
      case BYTE_STRING -> {
        byte[] bytes = new byte[random.nextInt(32)];
        random.nextBytes(bytes);
        yield ByteString.copyFrom(bytes);
      }
      case ENUM -> {
        var values = field.getEnumType().getValues();
        yield random.nextInt(3) == 0
            ? field.getEnumType().findValueByNumberCreatingIfUnknown(random.nextBoolean() ? 999 : -7)
            : values.get(random.nextInt(values.size()));
      }
      case MESSAGE -> {
        Message empty = owner.newBuilderForField(field).build();
        yield depth < MAX_DEPTH && random.nextBoolean() ? mutate(empty, depth + 1) : empty;
      }
    };
  }
}
