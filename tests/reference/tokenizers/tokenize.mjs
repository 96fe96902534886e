// The reference side of the tokenizer tests: transformers.js's tokenizers (the @lenml fork, the
// same code without ONNX) on a model's tokenizer.json + tokenizer_config.json. For every file of
// a corpus directory it prints the ids with and without special tokens and their decodes, as
// JSON. Files are read as bytes and decoded as WHATWG TextDecoder does (invalid UTF-8 -> U+FFFD).
//   node tokenize.mjs NODE_MODULES MODEL_DIR CORPUS_DIR   (NODE_MODULES: where `fetch` installed them)
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";

const [nodeModules, modelDir, corpusDir] = process.argv.slice(2);
const require = createRequire(join(nodeModules, "index.js"));
const { TokenizerLoader } = require("@lenml/tokenizers");

const tokenizer = TokenizerLoader.fromPreTrained({
  tokenizerJSON: JSON.parse(readFileSync(join(modelDir, "tokenizer.json"), "utf8")),
  tokenizerConfig: JSON.parse(readFileSync(join(modelDir, "tokenizer_config.json"), "utf8")),
});
const decoder = new TextDecoder("utf-8");
const out = {};
for (const name of readdirSync(corpusDir).sort()) {
  const text = decoder.decode(readFileSync(join(corpusDir, name)));
  const plain = tokenizer.encode(text, { add_special_tokens: false });
  const special = tokenizer.encode(text, { add_special_tokens: true });
  out[name] = {
    ids: plain,
    ids_with_special_tokens: special,
    decoded: tokenizer.decode(special, { skip_special_tokens: false }),
    decoded_skipping_special_tokens: tokenizer.decode(special, { skip_special_tokens: true }),
  };
}
process.stdout.write(JSON.stringify(out));
