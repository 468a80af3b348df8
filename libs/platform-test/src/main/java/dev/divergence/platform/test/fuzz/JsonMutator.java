package dev.divergence.platform.test.fuzz;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds JSON values from an OpenAPI schema and mutates JSON trees: one mutation replaces, removes or
 * adds one value somewhere in the tree (a string with a NUL spliced in, a value of another type, a
 * number beyond its type's range, an unknown property, a null, a long array).
 */
final class JsonMutator {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final int MAX_DEPTH = 6;

  private final JsonNode components;
  private final Random random;

  JsonMutator(JsonNode openApi, Random random) {
    this.components = openApi.path("components").path("schemas");
    this.random = random;
  }

  /** A value the schema describes (ordinary values; mutation adds the edge cases). */
  JsonNode generate(JsonNode schema, int depth) {
    schema = resolve(schema);
    if (schema == null || schema.isMissingNode()) {
      return NODES.stringNode("x");
    }
    JsonNode choices = schema.has("oneOf") ? schema.get("oneOf") : schema.get("anyOf");
    if (choices != null && choices.isArray() && !choices.isEmpty()) {
      return generate(choices.get(random.nextInt(choices.size())), depth);
    }
    if (schema.has("enum") && schema.get("enum").isArray() && !schema.get("enum").isEmpty()) {
      return schema.get("enum").get(random.nextInt(schema.get("enum").size())).deepCopy();
    }
    if (schema.has("example") && random.nextBoolean()) {
      return schema.get("example").deepCopy();
    }
    String type = typeOf(schema);
    switch (type) {
      case "object" -> {
        ObjectNode object = NODES.objectNode();
        if (depth >= MAX_DEPTH) {
          return object;
        }
        for (Map.Entry<String, JsonNode> property : schema.path("properties").properties()) {
          if (random.nextInt(4) != 0) {
            object.set(property.getKey(), generate(property.getValue(), depth + 1));
          }
        }
        JsonNode additional = schema.get("additionalProperties");
        if (additional != null && additional.isObject()) {
          for (int i = random.nextInt(3); i > 0; i--) {
            object.set("key" + i, generate(additional, depth + 1));
          }
        }
        return object;
      }
      case "array" -> {
        ArrayNode array = NODES.arrayNode();
        if (depth < MAX_DEPTH) {
          for (int i = random.nextInt(3); i > 0; i--) {
            array.add(generate(schema.get("items"), depth + 1));
          }
        }
        return array;
      }
      case "integer" -> {
        return NODES.numberNode((long) random.nextInt(20));
      }
      case "number" -> {
        return NODES.numberNode(random.nextDouble() * 4);
      }
      case "boolean" -> {
        return NODES.booleanNode(random.nextBoolean());
      }
      default -> {
        String format = schema.path("format").asString("");
        if (format.equals("uuid")) {
          return NODES.stringNode(UUID.randomUUID().toString());
        }
        if (format.equals("date-time")) {
          return NODES.stringNode("2026-01-01T00:00:00Z");
        }
        return NODES.stringNode(FuzzValues.STRINGS.get(random.nextInt(5)));
      }
    }
  }

  /** {@code root} with one value somewhere replaced, removed or added; may return a new root. */
  JsonNode mutate(JsonNode root) {
    List<Slot> slots = new ArrayList<>();
    collect(root, null, null, -1, slots);
    Slot slot = slots.get(random.nextInt(slots.size()));
    JsonNode replacement;
    int kind = random.nextInt(10);
    if (kind <= 3 || !slot.node().isContainer() && kind <= 5) {
      replacement = edgeCaseLike(slot.node());
    } else if (kind == 6 && slot.node().isObject()) {
      ((ObjectNode) slot.node()).set("unknownField" + random.nextInt(3), anyValue());
      return root;
    } else if (kind == 7 && slot.parent() != null) {
      if (slot.parent() instanceof ObjectNode object) {
        object.remove(slot.name());
      } else if (slot.parent() instanceof ArrayNode array) {
        array.remove(slot.index());
      }
      return root;
    } else if (kind == 8 && slot.node().isArray()) {
      ArrayNode array = (ArrayNode) slot.node();
      JsonNode element = array.isEmpty() ? anyValue() : array.get(0);
      for (int i = 0; i < 200; i++) {
        array.add(element.deepCopy());
      }
      return root;
    } else {
      replacement = anyValue();
    }
    if (slot.parent() == null) {
      return replacement;
    }
    if (slot.parent() instanceof ObjectNode object) {
      object.set(slot.name(), replacement);
    } else if (slot.parent() instanceof ArrayNode array) {
      array.set(slot.index(), replacement);
    }
    return root;
  }

  /** An edge case of the same JSON type as {@code node}, or a string with a control character. */
  private JsonNode edgeCaseLike(JsonNode node) {
    if (node.isString()) {
      return NODES.stringNode(random.nextBoolean()
          ? FuzzValues.withControlCharacter(random, node.asString())
          : FuzzValues.string(random));
    }
    if (node.isIntegralNumber()) {
      return random.nextInt(8) == 0
          ? NODES.numberNode(new BigInteger("123456789012345678901234567890"))
          : NODES.numberNode(FuzzValues.integer(random).longValue());
    }
    if (node.isNumber()) {
      return NODES.numberNode(FuzzValues.decimal(random));
    }
    return anyValue();
  }

  private JsonNode anyValue() {
    return switch (random.nextInt(8)) {
      case 0 -> NODES.nullNode();
      case 1 -> NODES.booleanNode(random.nextBoolean());
      case 2 -> NODES.numberNode(FuzzValues.integer(random).longValue());
      case 3 -> NODES.numberNode(FuzzValues.decimal(random));
      case 4 -> NODES.objectNode();
      case 5 -> NODES.arrayNode().add(NODES.stringNode(FuzzValues.string(random)));
      default -> NODES.stringNode(FuzzValues.withControlCharacter(random, FuzzValues.string(random)));
    };
  }

  private record Slot(JsonNode node, JsonNode parent, String name, int index) {}

  private static void collect(JsonNode node, JsonNode parent, String name, int index, List<Slot> slots) {
    slots.add(new Slot(node, parent, name, index));
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> property : node.properties()) {
        collect(property.getValue(), node, property.getKey(), -1, slots);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        collect(node.get(i), node, null, i, slots);
      }
    }
  }

  JsonNode resolve(JsonNode schema) {
    for (int hops = 0; schema != null && schema.has("$ref") && hops < 10; hops++) {
      String ref = schema.get("$ref").asString();
      schema = components.path(ref.substring(ref.lastIndexOf('/') + 1));
    }
    if (schema != null && schema.has("allOf") && schema.get("allOf").size() == 1) {
      return resolve(schema.get("allOf").get(0));
    }
    return schema;
  }

  /** The schema's type; OpenAPI 3.1 may give a list such as ["string", "null"]. */
  static String typeOf(JsonNode schema) {
    JsonNode type = schema.get("type");
    if (type == null) {
      return schema.has("properties") || schema.has("additionalProperties") ? "object"
          : schema.has("items") ? "array" : "string";
    }
    if (type.isArray()) {
      for (JsonNode each : type.values()) {
        if (!each.asString().equals("null")) {
          return each.asString();
        }
      }
      return "string";
    }
    return type.asString();
  }
}
