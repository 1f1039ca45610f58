#!/usr/bin/env bash
# Sourced by ./devstack: makes the toolchain this project needs present, idempotently, and puts it
# on PATH. Node.js and pnpm come from the npm registry into .tools/ (pinned); on a root Debian
# machine without a running Docker engine, Debian's engine is installed and started.
# Needs: bash, npm (any Node.js), and Docker — or root on Debian, where it installs Docker itself.

NODE_VERSION=22.23.3
PNPM_VERSION=10.34.8
TOOLS="$PWD/.tools"

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

is_root_debian() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    apt-get update -qq >/dev/null || die "apt-get update failed"
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

node_ok() { command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=22)?0:1)'; }

ensure_node_and_pnpm() {
  export PATH="$TOOLS/node_modules/.bin:$PATH"
  if ! node_ok || ! [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
    command -v npm >/dev/null || die "npm is needed once to fetch Node.js $NODE_VERSION and pnpm (install any Node.js with npm)"
    local os arch
    case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) die "unsupported OS $(uname -s)" ;; esac
    case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) die "unsupported CPU $(uname -m)" ;; esac
    say "installing Node.js $NODE_VERSION and pnpm $PNPM_VERSION into .tools/"
    npm install --prefix "$TOOLS" --no-audit --no-fund --no-save --loglevel=error \
      "node-$os-$arch@$NODE_VERSION" "pnpm@$PNPM_VERSION" >/dev/null || die "npm could not install Node.js/pnpm"
    hash -r
    node_ok || die "Node.js $NODE_VERSION did not install correctly (node -v: $(node -v 2>&1))"
  fi
  say "node $(node -v), pnpm $(pnpm --version)"
}

ensure_dependencies() {
  say "pnpm install"
  pnpm install --frozen-lockfile --reporter=silent || die "pnpm install failed"
}

engine_answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ensure_docker_engine() {
  if engine_answers; then
    say "docker engine $(docker version --format '{{.Server.Version}}')"
    return
  fi
  is_root_debian || die "no Docker engine answers; start Docker (Docker Desktop, systemctl start docker) and run again"
  command -v dockerd >/dev/null || apt_install docker.io
  command -v docker >/dev/null || die "the docker CLI is missing after installing docker.io"
  say "starting dockerd (log: /var/log/devstack-dockerd.log)"
  nohup dockerd >/var/log/devstack-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    engine_answers && { say "docker engine $(docker version --format '{{.Server.Version}}')"; return; }
    sleep 1
  done
  tail -n 20 /var/log/devstack-dockerd.log >&2
  die "dockerd did not answer within 60 s (last log lines above)"
}

# The gateway image (Tyk) is compiled from the Go module proxy with the host's Go (go.mod asks for
# 1.26): found on PATH or in Go's usual install folder.
ensure_go() {
  command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && export PATH="$PATH:/usr/local/go/bin"; }
  command -v go >/dev/null || die "Go 1.26 or newer is needed to build the gateway image (images/tyk); install it and put it on PATH"
  say "$(go version)"
}

# The gateway loads its revocation check as a Go plugin, which Go builds only with cgo: a C
# compiler and the C library's headers.
ensure_cc() {
  command -v cc >/dev/null && [ -e /usr/include/stdlib.h ] && return
  if is_root_debian; then apt_install gcc libc6-dev; else die "a C compiler (cc) and libc headers are needed to build the gateway image (images/tyk); install gcc"; fi
}

# `dev:export compose` output is run with the compose v2 plugin; Debian bookworm only has v1, so
# without a plugin it is built from the Go module proxy (pinned) into .tools/bin and linked in.
COMPOSE_VERSION=v2.26.1
ensure_compose() {
  docker compose version >/dev/null 2>&1 && return
  if ! command -v go >/dev/null; then say "docker compose v2 not found and no Go toolchain: the compose export test will be skipped"; return; fi
  say "building docker compose $COMPOSE_VERSION from the Go module proxy (a few minutes, once)"
  GOBIN="$TOOLS/bin" go install "github.com/docker/compose/v2/cmd@$COMPOSE_VERSION" >/dev/null 2>&1 || die "go install of docker compose $COMPOSE_VERSION failed"
  mkdir -p "$HOME/.docker/cli-plugins"
  install -m 0755 "$TOOLS/bin/cmd" "$HOME/.docker/cli-plugins/docker-compose"
  docker compose version >/dev/null 2>&1 || die "docker compose does not answer after installing it"
}

# The GitHub workflows (.github/workflows) are checked with actionlint, pinned, from the Go module proxy.
ACTIONLINT_VERSION=v1.7.12
ensure_actionlint() {
  "$TOOLS/bin/actionlint" -version 2>/dev/null | head -1 | grep -qxE "v?${ACTIONLINT_VERSION#v}" && return
  command -v go >/dev/null || { say "no Go toolchain: actionlint not installed, the workflow check will fail"; return; }
  say "building actionlint $ACTIONLINT_VERSION from the Go module proxy (once)"
  GOBIN="$TOOLS/bin" CGO_ENABLED=0 go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >/dev/null 2>&1 ||
    die "go install of actionlint $ACTIONLINT_VERSION failed"
}

# The Kind runtime drives kind (pinned, from the Go module proxy) and kubectl, compiled from the
# same Kubernetes module as the offline node image (images/kubernetes/build), so client and cluster
# are one version. Both go to .tools/bin, where the runtime looks first.
KIND_VERSION=v0.33.0
KUBECTL_VERSION=v1.34.4
ensure_kind_tools() {
  command -v go >/dev/null || { say "no Go toolchain: kind and kubectl not installed (the Kind runtime needs them)"; return; }
  if ! "$TOOLS/bin/kind" version 2>/dev/null | grep -q "^kind $KIND_VERSION "; then
    say "building kind $KIND_VERSION from the Go module proxy (once)"
    GOBIN="$TOOLS/bin" CGO_ENABLED=0 GOTOOLCHAIN=local go install "sigs.k8s.io/kind@$KIND_VERSION" >/dev/null 2>&1 ||
      die "go install of kind $KIND_VERSION failed"
  fi
  if ! "$TOOLS/bin/kubectl" version --client 2>/dev/null | grep -qx "Client Version: $KUBECTL_VERSION"; then
    say "building kubectl $KUBECTL_VERSION from images/kubernetes/build (a few minutes, once)"
    (cd images/kubernetes/build && CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local go build -trimpath \
      -mod=readonly -ldflags "$(grep -v '^#' ldflags | tr '\n' ' ')" -o "$TOOLS/bin/kubectl" k8s.io/kubernetes/cmd/kubectl) ||
      die "building kubectl $KUBECTL_VERSION failed"
  fi
}

# Offline image recipes need mmdebstrap; only installable (and only needed) on Debian-like hosts.
ensure_image_tools() {
  command -v mmdebstrap >/dev/null && return
  if is_root_debian; then apt_install mmdebstrap; else say "mmdebstrap not found: images can only be pulled upstream"; fi
}

# NetworkPolicies are enforced with nftables on the host (Debian 12 ships the nf_tables backend).
ensure_nftables() {
  command -v nft >/dev/null && return
  if is_root_debian; then apt_install nftables; else say "nft not found: dev:up cannot enforce NetworkPolicies (install nftables)"; fi
}

# Debian's Chromium, headless: the test that the chaos report's page draws its charts.
ensure_chromium() {
  command -v chromium >/dev/null && return
  if is_root_debian; then apt_install --no-install-recommends chromium; else say "chromium not found: the chaos report's browser test will fail (install chromium)"; fi
}

# Python tools from PyPI, in their own virtualenv: the contract fuzzer (schemathesis) and the
# offline Kubernetes schemas the Kind runtime's manifests are validated with (kubernetes-validate).
SCHEMATHESIS_VERSION=4.32.5
KUBERNETES_VALIDATE_VERSION=1.37.0
ensure_python_tools() {
  local venv="$TOOLS/venv"
  [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" = "schemathesis, version $SCHEMATHESIS_VERSION" ] &&
    [ "$("$venv/bin/kubernetes-validate" --version 2>/dev/null)" = "$KUBERNETES_VALIDATE_VERSION" ] && return
  command -v python3 >/dev/null || { say "python3 not found: the contract fuzz tests and kind:check will be skipped"; return; }
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    is_root_debian && apt_install python3-venv && python3 -m venv "$venv" >/dev/null || die "cannot create a Python virtualenv in $venv"
  fi
  say "installing schemathesis $SCHEMATHESIS_VERSION and kubernetes-validate $KUBERNETES_VALIDATE_VERSION into .tools/venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" || die "pip could not install the Python tools"
}

ensure_node_and_pnpm
ensure_dependencies
ensure_python_tools
ensure_go
ensure_cc
ensure_docker_engine
ensure_compose
ensure_actionlint
ensure_kind_tools
ensure_image_tools
ensure_nftables
ensure_chromium
