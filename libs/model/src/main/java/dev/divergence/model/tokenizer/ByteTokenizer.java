package dev.divergence.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The built-in tokenizer of the tiny local models: one token per UTF-8 byte (ids 0..255), then
 * pad, bos and eos. No vocabulary file to ship, every string is encodable, and it can be written
 * as an equivalent Hugging Face {@code tokenizer.json} (GPT-2 byte-level alphabet, no merges)
 * so exported models work with the Hugging Face stack unchanged.
 */
public final class ByteTokenizer implements TextTokenizer {

    public static final int PAD = 256;
    public static final int BOS = 257;
    public static final int EOS = 258;
    public static final int VOCAB_SIZE = 259;
    private static final List<String> SPECIALS = List.of("<pad>", "<s>", "</s>");

    @Override
    public long[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        long[] ids = new long[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xFF;
        }
        return ids;
    }

    /** bos + text (the usual prompt form for the tiny LMs). */
    public long[] encodeWithBos(String text) {
        long[] body = encode(text);
        long[] ids = new long[body.length + 1];
        ids[0] = BOS;
        System.arraycopy(body, 0, ids, 1, body.length);
        return ids;
    }

    @Override
    public String decode(long[] ids) {
        byte[] bytes = new byte[ids.length];
        int n = 0;
        for (long id : ids) {
            if (id >= 0 && id < 256) {
                bytes[n++] = (byte) id;
            }
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return VOCAB_SIZE;
    }

    @Override
    public OptionalLong bosTokenId() {
        return OptionalLong.of(BOS);
    }

    @Override
    public OptionalLong eosTokenId() {
        return OptionalLong.of(EOS);
    }

    @Override
    public OptionalLong padTokenId() {
        return OptionalLong.of(PAD);
    }

    /** GPT-2's printable stand-in for each byte, the alphabet of byte-level BPE. */
    static Map<Integer, String> byteAlphabet() {
        Map<Integer, String> map = new LinkedHashMap<>();
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map.put(b, new String(Character.toChars(printable ? b : 256 + extra++)));
        }
        return map;
    }

    /** An equivalent Hugging Face tokenizer.json (byte-level pre-tokenizer, BPE with no merges). */
    public String toHuggingFaceJson() {
        JsonMapper json = JsonMapper.builder().build();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", PAD + i);
            t.put("content", SPECIALS.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(json));
        root.putNull("post_processor");
        root.set("decoder", byteLevel(json));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        byteAlphabet().forEach((b, s) -> vocab.put(s, b));
        model.putArray("merges");
        return json.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    /** tokenizer_config.json naming the special tokens, as Hugging Face expects beside tokenizer.json. */
    public String toHuggingFaceConfigJson() {
        JsonMapper json = JsonMapper.builder().build();
        ObjectNode root = json.createObjectNode();
        root.put("tokenizer_class", "PreTrainedTokenizerFast");
        root.put("pad_token", SPECIALS.get(0));
        root.put("bos_token", SPECIALS.get(1));
        root.put("eos_token", SPECIALS.get(2));
        root.put("model_max_length", 1_000_000);
        return json.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    private static ObjectNode byteLevel(JsonMapper json) {
        ObjectNode n = json.createObjectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", false);
        n.put("trim_offsets", true);
        n.put("use_regex", false);
        return n;
    }
}
