package dev.divergence.platform.text;

import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.KeyDeserializer;
import tools.jackson.databind.deser.jdk.StringDeserializer;
import tools.jackson.databind.deser.std.StdScalarDeserializer;
import tools.jackson.databind.module.SimpleModule;

/**
 * Applies {@link TextRules} to every string and map key read from a request body, wherever it sits
 * (record components, lists, maps, untyped values): a violation fails the read with an
 * {@link InvalidTextException} that carries the JSON path of the field.
 */
public class TextRulesModule extends SimpleModule {

  public TextRulesModule() {
    super("divergence-text-rules");
    addDeserializer(String.class, new CheckedStringDeserializer());
    addKeyDeserializer(String.class, new CheckedKeyDeserializer());
  }

  static final class CheckedStringDeserializer extends StdScalarDeserializer<String> {

    CheckedStringDeserializer() {
      super(String.class);
    }

    @Override
    public String deserialize(JsonParser parser, DeserializationContext context) {
      String value = StringDeserializer.instance.deserialize(parser, context);
      String problem = TextRules.problemIn(value);
      if (problem != null) {
        throw new InvalidTextException(parser, problem, value);
      }
      return value;
    }

    @Override
    public Object getEmptyValue(DeserializationContext context) {
      return "";
    }
  }

  static final class CheckedKeyDeserializer extends KeyDeserializer {

    @Override
    public Object deserializeKey(String key, DeserializationContext context) {
      String problem = TextRules.problemIn(key);
      if (problem != null) {
        throw new InvalidTextException(context.getParser(), "has a key that " + problem, key);
      }
      return key;
    }
  }
}
