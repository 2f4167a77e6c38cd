#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for the tests that submit `sbatch --array` jobs
# (tests/slurmlib.py). Debian's slurm-wlm and munge; no systemd (the daemons are started directly),
# no cgroups (proctrack/linuxproc, task/none: this may run in a container), no slurmdbd.
# One node, `localhost`, in partition `debug`; each CPU may take up to 4 one-CPU tasks at once.
# Idempotent: when everything is up it only checks (under a second); daemons that died are
# restarted; a changed slurm.conf restarts both daemons. Usage: bash .ci/slurm.sh (as root).
set -euo pipefail

CONF=/etc/slurm/slurm.conf
LOGDIR=/var/log/slurm
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
NODE=localhost
t0=$SECONDS

log() { echo "slurm.sh: $*" >&2; }
# alive PIDFILE: its process runs and is the daemon the file is named for (a PID left from an
# earlier boot or session may belong to something else by now), and is no zombie (PID 1 here
# may be slow to reap a daemon that died).
alive() {
  local pid st; pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$(basename "$1" .pid)" ] || return 1
  st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
stop() {  # stop a daemon by its pid file, if it runs
  if alive "$1"; then
    local pid; pid=$(cat "$1")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do alive "$1" || break; sleep 0.1; done
    if alive "$1"; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$1"
}

# 1. Packages.
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 \
   || ! command -v sbatch >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  log "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # policy-rc.d 101: the packages' maintainer scripts must not try to start services themselves.
  created_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; created_policy=1
  fi
  apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null
  if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

# 2. Munge: a key, its directories, the daemon.
getent passwd munge >/dev/null || useradd --system --home-dir /var/lib/munge --shell /usr/sbin/nologin munge
install -d -m 0700 -o munge -g munge /etc/munge /var/lib/munge /var/log/munge
install -d -m 0755 -o munge -g munge /run/munge
new_key=
if [ ! -s /etc/munge/munge.key ]; then
  log "creating a munge key"
  new_key=1
  if command -v mungekey >/dev/null 2>&1; then
    mungekey --create --keyfile=/etc/munge/munge.key --force
  else
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
fi
chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
if [ -n "$new_key" ] || ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "starting munged"
  stop /run/munge/munged.pid
  rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null
fi

# 3. slurm.conf, from what slurmd detects here (slurmd -C), with 5% (at least 256 MB) of memory
# left over for the system.
install -d -m 0755 /etc/slurm "$LOGDIR" /var/spool/slurmctld /var/spool/slurmd
hw=$(slurmd -C | grep -m1 "^NodeName=")
field() { sed -n "s/.*[[:space:]]$1=\([0-9]*\).*/\1/p" <<<"$hw"; }
cpus=$(field CPUs); boards=$(field Boards); sockets=$(field SocketsPerBoard)
cores=$(field CoresPerSocket); threads=$(field ThreadsPerCore); mem=$(field RealMemory)
head=$(( mem / 20 )); [ "$head" -lt 256 ] && head=256
mem=$(( mem - head )); [ "$mem" -lt 1 ] && mem=1
new=$(mktemp)
trap 'rm -f "$new"' EXIT
cat >"$new" <<EOF
# Written by .ci/slurm.sh (sweeper's CI): one node, no cgroups, no accounting database.
ClusterName=sweeper-ci
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=5
SlurmdParameters=config_overrides
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
InactiveLimit=0
KillWait=10
MinJobAge=3600
MaxJobCount=20000
MaxArraySize=10001
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOGDIR/jobcomp.log
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus Boards=$boards SocketsPerBoard=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
changed=
if ! cmp -s "$new" "$CONF"; then
  log "writing $CONF"
  install -m 0644 "$new" "$CONF"
  changed=1
fi

# 4. The daemons (restarted when the configuration changed or one died).
if [ -n "$changed" ]; then stop "$SLURMD_PID"; stop "$CTLD_PID"; fi
if ! alive "$CTLD_PID"; then
  log "starting slurmctld"
  rm -f "$CTLD_PID"
  slurmctld
fi
for _ in $(seq 1 100); do scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.2; done
scontrol ping | grep -q 'is UP' || { log "slurmctld does not answer"; tail -20 "$LOGDIR/slurmctld.log" >&2; exit 1; }
if ! alive "$SLURMD_PID"; then
  log "starting slurmd"
  rm -f "$SLURMD_PID"
  slurmd -N "$NODE"
fi

# 5. The node up: idle, or busy with jobs (mixed, allocated). Down or drained: resume it.
state=
for i in $(seq 1 120); do
  state=$(sinfo -h -n "$NODE" -o %T 2>/dev/null | head -1)
  case "$state" in
    idle|mixed|allocated|completing) break ;;
    down*|drain*|fail*)
      if [ $(( i % 10 )) -eq 1 ]; then
        scontrol update nodename="$NODE" state=resume 2>/dev/null || true
      fi ;;
  esac
  sleep 0.5
done
case "$state" in
  idle|mixed|allocated|completing) ;;
  *) log "node $NODE is '$state'"; scontrol show node "$NODE" >&2 || true
     tail -20 "$LOGDIR/slurmd.log" >&2 || true; exit 1 ;;
esac

# 6. A trivial job, end to end.
timeout 120 srun -N1 -n1 -t 1 --quiet true
echo "slurm.sh: $(sinfo -V) up: node $NODE $state, $cpus CPUs, ${mem} MB, partition debug;" \
     "srun true ok ($(( SECONDS - t0 )) s)"
