# Shared by the bench scripts (sourced, not run).

# wait_up PORT: waits up to a minute for assetmap's /health on 127.0.0.1:PORT.
wait_up() {
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$1/health" > /dev/null && return 0; sleep 0.2; done
  echo "server on $1 did not start" >&2; exit 1
}
