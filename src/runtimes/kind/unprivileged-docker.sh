#!/usr/bin/env bash
# The `docker` kind runs on hosts where `docker run --privileged` cannot work (a VM whose capability
# bounding set lacks CAP_SYS_RESOURCE: runc fails with "unable to apply caps"). kind hard-codes
# --privileged for its nodes; this gives the node what it needs instead: every capability the host
# has, /proc and /sys unmasked, every device allowed. The node image's entrypoint does the rest
# (writable cgroups, /dev/kmsg). `docker exec --privileged` is dropped: an exec has the
# container's capabilities anyway. Everything else goes to the real docker unchanged.
# DEVSTACK_REAL_DOCKER: the real docker CLI (set by src/runtimes/kind/privileged.ts).
set -euo pipefail
real="${DEVSTACK_REAL_DOCKER:?DEVSTACK_REAL_DOCKER must name the real docker CLI}"
args=()
for arg in "$@"; do
  if [[ $arg == --privileged ]]; then
    case "${1:-}" in
    run | create)
      args+=(--cap-add ALL --cap-drop SYS_RESOURCE --security-opt systempaths=unconfined
        --device-cgroup-rule 'a *:* rwm')
      ;;
    esac
    continue
  fi
  args+=("$arg")
done
exec "$real" "${args[@]}"
