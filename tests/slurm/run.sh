#!/usr/bin/env bash
# A real one-node Slurm cluster (Debian's slurm-wlm and munge), started here and stopped on exit:
# a 4-cell sweep is submitted as a job array, one task is cancelled with scancel, a second
# submit merges the three finished cells and runs only the cancelled one, and the merged DB
# holds the same cells with the same losses, bit for bit, as a local `longalign run`. The tasks
# push their live metrics to a Pushgateway (Debian's prometheus-pushgateway), which ends up
# holding every cell as done.
# Needs root (the daemons); usage: run.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$(realpath "$1")
work=$2
rm -rf "$work"
mkdir -p "$work"/{state,spool,log}
work=$(realpath "$work")
bin=$build/bin/longalign
[ "$(id -u)" = 0 ] || { echo "the Slurm test needs root to start slurmctld and slurmd" >&2; exit 1; }

# munge: reuse a running munged, else start one with a key of our own.
started_munge=""
if ! pgrep -x munged >/dev/null; then
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge && chown munge:munge /run/munge
  su -s /bin/sh munge -c /usr/sbin/munged
  started_munge=1
fi

host=$(hostname)
port=$((20000 + RANDOM % 20000))
export SLURM_CONF=$work/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=longalign-test
SlurmctldHost=$host
SlurmUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=$host CPUs=2 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
stop() {  # the daemons of this test's cluster, and nothing else
  scontrol shutdown >/dev/null 2>&1 || true
  for f in slurmd slurmctld; do
    [ -f "$work/$f.pid" ] || continue
    pid=$(cat "$work/$f.pid")
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null || true
  [ -n "$started_munge" ] && pkill -x munged || true
}
gateway_pid=""
trap stop EXIT
gateway=127.0.0.1:$((port + 2))
prometheus-pushgateway --web.listen-address="$gateway" --persistence.file= >"$work/log/pushgateway.log" 2>&1 &
gateway_pid=$!
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 50); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 0.2; done
sinfo -h -o %t | grep -q idle || { echo "the test cluster did not come up"; cat "$work"/log/*; exit 1; }

cat > "$work/s.toml" <<TOML
name = "slurmy"
seeds = [0, 1]
[config]
train.max_tokens = 256
train.epochs = 2
[grid]
"train.lr" = [0.002, 0.004]
[[data]]
name = "chat"
source = "synthetic-chat"
params = { count = 48 }
TOML
export LONGALIGN_CACHE_DIR=$work/cache LONGALIGN_METRICS_PORT=0

wait_job() {  # until job $1 has left the queue
  for _ in $(seq 600); do [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0; sleep 0.5; done
  echo "job $1 did not finish"; squeue; exit 1
}

out=$("$bin" submit "$work/s.toml" --slurm --db "$work/r.sqlite" --cpus-per-task 1 --pushgateway "http://$gateway")
echo "$out"
job=$(echo "$out" | sed -n 's/.*submitted job array \([0-9]*\).*/\1/p')
[ -n "$job" ] || { echo "no job id in: $out"; exit 1; }
scancel "${job}_3"  # pending still: two tasks run at once on 2 CPUs
wait_job "$job"

out=$("$bin" submit "$work/s.toml" --slurm --db "$work/r.sqlite" --cpus-per-task 1 --pushgateway "http://$gateway")
echo "$out"
echo "$out" | grep -q "3 finished cells merged, 3 done, 1 to run" || { echo "the second submit should run only the cancelled cell"; exit 1; }
job2=$(echo "$out" | sed -n 's/.*submitted job array \([0-9]*\).*/\1/p')
wait_job "$job2"
out=$("$bin" submit "$work/s.toml" --slurm --db "$work/r.sqlite" --cpus-per-task 1 --pushgateway "http://$gateway")
echo "$out"
echo "$out" | grep -q "1 finished cells merged, 4 done, 0 to run" || { echo "all four cells should be done"; exit 1; }
# Merging again changes nothing.
"$bin" merge "$work/r.sqlite" "$work"/slurmy/cells/*/cell.sqlite >/dev/null

"$bin" run "$work/s.toml" --db "$work/local.sqlite" --cores 1 >/dev/null
q="SELECT cell_id || ' ' || status || ' ' || (SELECT value FROM run_metrics m WHERE m.cell_id = runs.cell_id AND name = 'train.final_loss') FROM runs ORDER BY cell_id"
slurm=$(sqlite3 "$work/r.sqlite" "$q")
local=$(sqlite3 "$work/local.sqlite" "$q")
echo "slurm:"; echo "$slurm"; echo "local:"; echo "$local"
[ "$slurm" = "$local" ] || { echo "the Slurm run's results differ from the local run's"; exit 1; }
[ "$(echo "$slurm" | grep -c ' done ')" = 4 ] || exit 1
pushed=$(curl -s "http://$gateway/metrics" | grep -c '^longalign_task_state{.*state="done".*} 1$' || true)
[ "$pushed" = 4 ] || { echo "the Pushgateway holds $pushed cells as done, not 4"; curl -s "http://$gateway/metrics" | grep longalign_; exit 1; }
echo "Slurm: 4 cells, one cancelled and resubmitted, equal to a local run; their live metrics on the Pushgateway"
