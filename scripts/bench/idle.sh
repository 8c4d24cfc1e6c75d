# Sourced by the benchmark scripts: waiting for a quiet CPU before each timed side, so other jobs do not
# distort one side of a comparison more than the other. Set MAX_WAIT (seconds, default 1800) before calling.

# Percentage of CPU time spent busy (all cores) over the next 3 seconds, from /proc/stat.
busy_percent() {
    local a b
    a=($(head -1 /proc/stat)); sleep 3; b=($(head -1 /proc/stat))
    local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
    for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
    echo $(( 100 * (total - idle) / (total > 0 ? total : 1) ))
}

# Waits (up to MAX_WAIT seconds) for a quiet machine (<= 10 % busy); prints the last busy percentage.
wait_idle() {
    local waited=0 busy
    while busy=$(busy_percent); [ "$busy" -gt 10 ] && [ "$waited" -lt "${MAX_WAIT:-1800}" ]; do
        echo "# waiting for an idle CPU (busy ${busy}%)" >&2; sleep 27; waited=$((waited + 30))
    done
    echo "$busy"
}
