#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1 in a temporary directory, for
# selftest.sh and scripts/scale-out/sweep.sh: source this file, then
# `cluster_start` (sets T, the directory, and exports SLURM_CONF) and
# `cluster_stop` (stops the daemons it started, by their pid files).
# Installs slurm-wlm and munge with apt-get when they are missing (root or
# sudo).

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

cluster_stop() {
    # The daemons cluster_start started, by their pid files; nothing else.
    for d in slurmd slurmctld munged; do
        if [ -n "${T:-}" ] && [ -s "$T/$d.pid" ]; then
            $SUDO kill "$(cat "$T/$d.pid")" 2>/dev/null || true
        fi
    done
    sleep 1
}

cluster_start() {
    if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null \
        || ! command -v sbatch >/dev/null; then
        echo "== installing slurm-wlm and munge (apt-get)"
        $SUDO apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
    fi

    T=$(mktemp -d /tmp/dualmatch-slurm.XXXXXX)
    chmod 755 "$T"
    trap cluster_stop EXIT

    echo "== one-node Slurm in $T"
    mkdir -p "$T/state" "$T/spool" "$T/work"
    head -c 1024 /dev/urandom > "$T/munge.key"
    chmod 400 "$T/munge.key"
    $SUDO munged --key-file="$T/munge.key" --socket="$T/munge.sock" --pid-file="$T/munged.pid" \
        --log-file="$T/munged.log" --seed-file="$T/munge.seed" --force
    PORT=$((16000 + RANDOM % 2000))
    HOST=$(hostname -s)
    CPUS=$(nproc)
    MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
    cat > "$T/slurm.conf" <<CONF
ClusterName=dualmatch-selftest
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge.sock
CredType=cred/munge
MailProg=/bin/true
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
NodeName=selftest NodeAddr=127.0.0.1 NodeHostname=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=selftest Nodes=selftest Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$T/slurm.conf"
    $SUDO env SLURM_CONF="$SLURM_CONF" slurmctld -f "$SLURM_CONF"
    $SUDO env SLURM_CONF="$SLURM_CONF" slurmd -f "$SLURM_CONF" -N selftest
    for _ in $(seq 60); do
        if sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then break; fi
        sleep 1
    done
    sinfo -h -o '%T' | grep -qx idle || { echo "the Slurm node did not come up"; tail -n 20 "$T"/*.log; return 1; }
    sinfo
}
