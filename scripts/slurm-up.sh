#!/usr/bin/env bash
# Starts a real single-node Slurm on this machine for lem's Slurm executor tests (and for trying the Slurm
# executor without a cluster): munged, slurmctld and slurmd from Debian's slurm-wlm 22.05, one node with 4
# pretend GPUs as GRES. Idempotent: does nothing when `scontrol ping` already answers. Root only.
#
# Why the placeholder files: slurmd 22.05 drops GPUs that have no device File=, so each pretend GPU is a plain
# file under $LEM_SLURM_DIR. A job's GPU indices are then in `scontrol show job -d` (IDX:0-1), not in
# CUDA_VISIBLE_DEVICES.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
say() { printf '[slurm-up] %s\n' "$*"; }
die() {
  printf '[slurm-up] error: %s\n' "$*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root (it writes /etc/slurm and starts daemons)"
if scontrol ping 2>/dev/null | grep -q 'is UP'; then
  say "slurm already up: $(scontrol ping | head -1)"
  exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  say "apt-get install slurm-wlm munge"
  apt-get update -qq >/dev/null
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi

DIR=${LEM_SLURM_DIR:-/var/lib/lem-slurm}
HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(($(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) - 1024))
mkdir -p "$DIR" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /etc/slurm
for i in 0 1 2 3; do : >"$DIR/gpu$i"; done

cat >/etc/slurm/slurm.conf <<EOF
# Written by lem's scripts/slurm-up.sh: a single-node test cluster with 4 pretend GPUs.
ClusterName=lem
SlurmctldHost=$HOST
AuthType=auth/munge
SlurmUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# Quick reaction for tests: a job's state is polled, and requeued/cancelled jobs turn around fast.
MinJobAge=300
KillWait=5
InactiveLimit=0
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM Gres=gpu:4 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
cat >/etc/slurm/gres.conf <<EOF
Name=gpu File=$DIR/gpu[0-3]
EOF
# A ClusterName that changed since the state was saved makes slurmctld refuse to start.
rm -f /var/spool/slurmctld/clustername

if ! pgrep -x munged >/dev/null; then
  [ -s /etc/munge/munge.key ] || { say "creating a munge key"; mungekey --create --force 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; }
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  say "starting munged"
  runuser -u munge -- /usr/sbin/munged
fi
pgrep -x slurmctld >/dev/null || { say "starting slurmctld"; slurmctld; }
pgrep -x slurmd >/dev/null || { say "starting slurmd"; slurmd; }

for _ in $(seq 1 60); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    say "up: $(sinfo -h -o '%P %D %T %G')"
    exit 0
  fi
  sleep 0.5
done
scontrol update nodename="$HOST" state=resume 2>/dev/null || true
sinfo -h -o '%T' | grep -qE '^(idle|mixed|allocated)' || {
  tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2
  die "the node did not come up"
}
say "up: $(sinfo -h -o '%P %D %T %G')"
