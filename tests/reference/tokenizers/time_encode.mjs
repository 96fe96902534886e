// transformers.js's encode of one file, timed (the tokenizer benchmark's reference side).
//   node time_encode.mjs NODE_MODULES MODEL_DIR TEXT_FILE REPEATS -> {"seconds": best, "tokens": n}
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";

const [nodeModules, modelDir, textFile, repeats] = process.argv.slice(2);
const require = createRequire(join(nodeModules, "index.js"));
const { TokenizerLoader } = require("@lenml/tokenizers");
const tokenizer = TokenizerLoader.fromPreTrained({
  tokenizerJSON: JSON.parse(readFileSync(join(modelDir, "tokenizer.json"), "utf8")),
  tokenizerConfig: JSON.parse(readFileSync(join(modelDir, "tokenizer_config.json"), "utf8")),
});
const text = new TextDecoder("utf-8").decode(readFileSync(textFile));
let best = Infinity, tokens = 0;
for (let r = 0; r < Number(repeats); ++r) {
  const t0 = process.hrtime.bigint();
  tokens = tokenizer.encode(text, { add_special_tokens: false }).length;
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
}
process.stdout.write(JSON.stringify({ seconds: best, tokens }));
