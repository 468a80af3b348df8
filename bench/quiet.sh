# Sourced by the benchmark scripts: runs each measured group only on a quiet machine and repeats a group
# that something else disturbed, so that the recorded figures are ones someone else can reproduce.
#
#   quiet_group NAME COMMAND...   run COMMAND (one measured group: ours or a baseline); before it, wait
#                                 until the machine is idle; after it, count the CPU time that processes
#                                 other than COMMAND's used meanwhile; if that exceeds QUIET_MAX_OTHER_CORES,
#                                 the group's figures are discarded (COMMAND runs again and overwrites
#                                 them), up to QUIET_TRIES times
#
# Every try is one line of $QUIET_LOG (JSON lines): the group, the try, the 1/5/15-minute load averages
# before and after, the cores busy with other work just before it and during it, whether it was kept.
# The load average alone cannot tell: it lags by minutes and counts the benchmark's own threads.
#
# Environment: QUIET_MAX_BUSY_CORES (idle check before a group, default 0.25 cores),
# QUIET_MAX_OTHER_CORES (other work during a group, default 0.15 cores), QUIET_WAIT_SECONDS (longest wait
# for an idle machine, default 900), QUIET_TRIES (default 3), BENCH_ALLOW_NOISY=1 keeps the last try
# even when it was disturbed (it is recorded as such) instead of failing.

QUIET_MAX_BUSY_CORES="${QUIET_MAX_BUSY_CORES:-0.25}"
QUIET_MAX_OTHER_CORES="${QUIET_MAX_OTHER_CORES:-0.15}"
QUIET_WAIT_SECONDS="${QUIET_WAIT_SECONDS:-900}"
QUIET_TRIES="${QUIET_TRIES:-3}"
QUIET_LOG="${QUIET_LOG:-/dev/null}"
QUIET_NCPU="$(nproc)"
QUIET_HZ="$(getconf CLK_TCK)"

# busy and total jiffies of the whole machine since boot
_quiet_cpu() {
  awk '/^cpu /{busy=$2+$3+$4+$7+$8+$9; total=busy+$5+$6; print busy, total; exit}' /proc/stat
}

# CPU time (jiffies) of the waited-for children of the shell process $1: every command a group ran, with
# its threads and forks (JMH's forked JVM is waited for by its parent, so it counts too). The pid is
# passed in because quiet_group may itself run in a pipeline's subshell, where $$ names the parent.
_quiet_children() {
  # fields after the ")" of the command name: cutime and cstime are the 14th and 15th
  sed 's/.*) //' "/proc/$1/stat" | awk '{print $14 + $15}'
}

# cores busy over a 2-second window, nothing of ours running
quiet_busy_cores() {
  local b0 t0 b1 t1
  read -r b0 t0 < <(_quiet_cpu)
  sleep 2
  read -r b1 t1 < <(_quiet_cpu)
  awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" -v n="$QUIET_NCPU" 'BEGIN{printf "%.3f", (t > 0 ? n * b / t : 0)}'
}

# waits until the machine is idle; prints the busy cores it last saw
quiet_wait() {
  local waited=0 busy
  while true; do
    busy="$(quiet_busy_cores)"
    if awk -v b="$busy" -v m="$QUIET_MAX_BUSY_CORES" 'BEGIN{exit !(b <= m)}'; then
      echo "$busy"
      return 0
    fi
    if (( waited >= QUIET_WAIT_SECONDS )); then
      echo "$busy"
      return 1
    fi
    echo "   (machine busy: $busy cores used by other work; waiting)" >&2
    sleep 10
    waited=$((waited + 12))
  done
}

quiet_group() {
  local name="$1"
  shift
  local try busy_before load_before load_after b0 t0 b1 t1 c0 c1 start end other kept self="$BASHPID"
  for try in $(seq 1 "$QUIET_TRIES"); do
    if ! busy_before="$(quiet_wait)"; then
      echo "   the machine did not become idle within ${QUIET_WAIT_SECONDS}s (last: $busy_before busy cores)" >&2
      [[ "${BENCH_ALLOW_NOISY:-0}" == 1 ]] || return 1
    fi
    load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
    read -r b0 t0 < <(_quiet_cpu)
    c0="$(_quiet_children "$self")"
    start="$(date +%s.%N)"
    "$@"
    end="$(date +%s.%N)"
    c1="$(_quiet_children "$self")"
    read -r b1 t1 < <(_quiet_cpu)
    load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
    # machine-wide busy time minus the group's own, per second of wall time = cores taken by other work
    other="$(awk -v b="$((b1 - b0))" -v c="$((c1 - c0))" -v hz="$QUIET_HZ" -v s="$start" -v e="$end" \
      'BEGIN{o = (b - c) / hz / (e - s); if (o < 0) o = 0; printf "%.3f", o}')"
    kept=false
    if awk -v o="$other" -v m="$QUIET_MAX_OTHER_CORES" 'BEGIN{exit !(o <= m)}'; then
      kept=true
    elif (( try == QUIET_TRIES )) && [[ "${BENCH_ALLOW_NOISY:-0}" == 1 ]]; then
      kept=noisy
    fi
    printf '{"group":"%s","try":%d,"busy_cores_before":%s,"other_cores_during":%s,"loadavg_before":"%s","loadavg_after":"%s","seconds":%.1f,"kept":"%s"}\n' \
      "$name" "$try" "$busy_before" "$other" "$load_before" "$load_after" \
      "$(awk -v s="$start" -v e="$end" 'BEGIN{print e - s}')" "$kept" >> "$QUIET_LOG"
    if [[ "$kept" != false ]]; then
      return 0
    fi
    echo "   $name was disturbed ($other cores of other work during it): discarded, measuring again" >&2
  done
  echo "   $name was disturbed in all $QUIET_TRIES tries: no figure kept" >&2
  return 1
}
