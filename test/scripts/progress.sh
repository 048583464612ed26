# Sourced by the README's commands (install-deps.sh, test.sh, demo.sh): long steps say what they
# do, how long they have run and how long they usually take, every 30 s, on stderr.
#   with_progress "building the test-only Kubernetes binaries" "~17 min cold, <1 s warm" cmd args...
# Returns the command's status. PETREL_PROGRESS_SECONDS changes the period (tests).

with_progress() {
  local what=$1 usual=$2
  shift 2
  local period=${PETREL_PROGRESS_SECONDS:-30} start=$SECONDS pid rc=0 n
  "$@" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for ((n = 0; n < period * 5; n++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      local e=$((SECONDS - start))
      echo "   ... still $what: $((e / 60))m$((e % 60))s so far (usually $usual)" >&2
    fi
  done
  wait "$pid" || rc=$?
  local e=$((SECONDS - start))
  if [ "$rc" -ne 0 ]; then
    echo "   $what FAILED after $((e / 60))m$((e % 60))s (exit $rc)" >&2
  elif [ "$e" -ge 5 ]; then
    echo "   $what: done in $((e / 60))m$((e % 60))s" >&2
  fi
  return "$rc"
}
