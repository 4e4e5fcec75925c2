#!/usr/bin/env bash
# A private single-node Slurm (slurmctld + slurmd on this host, munge authentication, no systemd)
# for the Slurm tests. `start` is idempotent and prints the SLURM_CONF path to export for sbatch,
# squeue, scontrol and scancel; `status` prints it and succeeds only while that Slurm answers;
# `stop` ends the daemons `start` started (munged too, where start started it). Needs root (SlurmUser=root).
#   SLURM_LOCAL_DIR: where the configuration, state, logs and pid files go (default /tmp/bild-bench-slurm)
set -euo pipefail
dir="${SLURM_LOCAL_DIR:-/tmp/bild-bench-slurm}"
conf="$dir/slurm.conf"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  for tool in slurmctld slurmd munged sbatch; do
    command -v "$tool" >/dev/null || { echo "slurm-local: $tool is not installed (bash scripts/install-test-deps.sh)" >&2; exit 1; }
  done
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" /run/munge
  if ! pgrep -x munged >/dev/null; then
    [ -f /etc/munge/munge.key ] || { mkdir -p /etc/munge && dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null && chmod 400 /etc/munge/munge.key; }
    munged --force
    # remembered so that `stop` ends the munged this script started (and no other)
    cp /run/munge/munged.pid "$dir/munged.pid"
  fi
  if status >/dev/null; then
    echo "$conf"
    return
  fi
  stop_slurm >/dev/null 2>&1 || true
  local host cpus mem
  host=$(hostname)
  cpus=$(nproc)
  # Slurm drains a node that reports less memory than configured: stay below what is available
  mem=$(awk '/MemAvailable/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)
  cat >"$conf" <<EOF
ClusterName=bildbench
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
MinJobAge=3600
KillWait=5
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES OverSubscribe=FORCE:4 MaxTime=INFINITE State=UP
EOF
  slurmctld -f "$conf"
  slurmd -f "$conf"
  # the node registers with the controller within seconds
  for _ in $(seq 1 60); do
    if SLURM_CONF="$conf" sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      echo "$conf"
      return
    fi
    sleep 0.5
  done
  echo "slurm-local: the node did not come up; see $dir/log/" >&2
  exit 1
}

status() {
  alive "$dir/slurmctld.pid" && alive "$dir/slurmd.pid" && SLURM_CONF="$conf" scontrol ping >/dev/null 2>&1 && echo "$conf"
}

# Ends the process a pid file names, if alive, and removes the file.
end_pid() {
  if alive "$1"; then
    local pid
    pid=$(cat "$1")
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$1"
}

stop_slurm() {
  for d in slurmd slurmctld; do end_pid "$dir/$d.pid"; done
}

stop() {
  stop_slurm
  end_pid "$dir/munged.pid"
}

case "${1:-}" in
  start) start ;;
  status) status ;;
  stop) stop ;;
  *) echo "usage: $0 start|status|stop" >&2; exit 2 ;;
esac
