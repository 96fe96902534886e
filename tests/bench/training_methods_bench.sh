#!/usr/bin/env bash
# End-to-end training throughput of the paper's four training-method arms, side by side in one
# run: trains training_methods_bench.toml beside it (the LongAlign-like length mix, lengths / 32)
# into a scratch results file and prints, per arm, the mean over seeds of real and target tokens
# per second of training and the speed-up over naive batching. Given a results file of a
# training-method sweep instead (results/training-methods.sqlite, the reproduction's, committed),
# it prints that file's figures.
# Usage: tests/bench/training_methods_bench.sh [BUILD_DIR [RESULTS_DB]]   (default: build)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

db="${2:-}"
if [ -z "$db" ]; then
  db="$scratch/bench.sqlite"
  "$build/bin/longalign" run "$root/tests/bench/training_methods_bench.toml" --db "$db" >"$scratch/run.log" 2>&1 ||
    { cat "$scratch/run.log" >&2; exit 1; }
  echo "training-methods sweep on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
fi
sqlite3 -column -header "$db" "
WITH arm AS (
  SELECT json_extract(r.params_json, '\$.batching.plugin') AS batching,
         json_extract(r.params_json, '\$.loss.plugin') AS loss,
         MAX(CASE WHEN m.name = 'plan.efficiency' THEN m.value END) AS efficiency,
         MAX(CASE WHEN m.name = 'train.seconds' THEN m.value END) AS seconds,
         MAX(CASE WHEN m.name = 'train.tokens_per_s' THEN m.value END) AS real_tps,
         MAX(CASE WHEN m.name = 'train.target_tokens_per_s' THEN m.value END) AS target_tps
  FROM runs r JOIN run_metrics m USING (cell_id) WHERE r.status = 'done' GROUP BY r.cell_id),
mean AS (
  SELECT batching, loss, COUNT(*) AS seeds, AVG(efficiency) AS efficiency, AVG(seconds) AS seconds,
         AVG(real_tps) AS real_tps, AVG(target_tps) AS target_tps FROM arm GROUP BY batching, loss)
SELECT batching, loss, seeds, printf('%.3f', efficiency) AS padding_efficiency,
       printf('%.2f', seconds) AS train_s, printf('%.0f', real_tps) AS real_tokens_per_s,
       printf('%.0f', target_tps) AS target_tokens_per_s,
       printf('%.2fx', target_tps / (SELECT target_tps FROM mean WHERE batching = 'naive')) AS vs_naive
FROM mean ORDER BY target_tps;"
