#!/usr/bin/env bash
# Installs the tools that check the Helm chart, once, into $HOOKSTREAM_STACK_DIR (default
# <repo>/.stack, git-ignored), from package registries only (no Docker, no other downloads):
#   - helm, built from the Go module proxy:  <stack>/bin/helm  (-> helm-<version>)
#   - kubernetes-validate, from PyPI:         <stack>/venv-k8s/bin/kubernetes-validate
#
#   scripts/chart-tools.sh          install if missing, then print the two paths
#
# Idempotent; a warm run takes well under a second. Versions: HOOKSTREAM_HELM_VERSION (default
# v3.22.0, falling back to v3.21.4 when that does not build), HOOKSTREAM_K8S_VALIDATE_VERSION
# (default 1.37.0; it ships the Kubernetes 1.25-1.37 schemas, chart-check pins 1.30).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
stack_dir=${HOOKSTREAM_STACK_DIR:-$repo/.stack}
bin_dir=$stack_dir/bin
venv=$stack_dir/venv-k8s
helm_versions=("${HOOKSTREAM_HELM_VERSION:-v3.22.0}")
[[ -z ${HOOKSTREAM_HELM_VERSION:-} ]] && helm_versions+=(v3.21.4)
kv_version=${HOOKSTREAM_K8S_VALIDATE_VERSION:-1.37.0}

say() { printf 'chart-tools: %s\n' "$*" >&2; }
die() { printf 'chart-tools: error: %s\n' "$*" >&2; exit 1; }

install_helm() {
  local link=$bin_dir/helm v
  # Already installed: the symlink points at a wanted version, and it runs.
  if [[ -L $link && -x $link ]] && "$link" version --short >/dev/null 2>&1; then
    for v in "${helm_versions[@]}"; do [[ $(readlink "$link") == "helm-$v" ]] && return; done
  fi
  command -v go >/dev/null 2>&1 || die "'go' not found: install Go 1.22 or newer (apt-get install golang-go) to build helm"
  mkdir -p "$bin_dir"
  local log=$stack_dir/helm-build.log tmp
  : >"$log"
  for v in "${helm_versions[@]}"; do
    if [[ -x $bin_dir/helm-$v ]]; then ln -sfn "helm-$v" "$link"; return; fi
    say "building helm $v from the Go module proxy into $bin_dir (once; a few minutes)"
    # Stamp what helm's Makefile stamps: its version (a plain go install says "v3.22") and the
    # Kubernetes version of its client-go as the default for lint and template (else v1.20).
    local gomod minor ldflags
    gomod=$(go mod download -json "helm.sh/helm/v3@$v" 2>>"$log" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p') || true
    minor=$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "${gomod:-/dev/null}" 2>/dev/null | head -n 1)
    ldflags="-X helm.sh/helm/v3/internal/version.version=$v"
    if [[ -n $minor ]]; then
      for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
        ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$minor"
      done
    fi
    tmp=$(mktemp -d "$stack_dir/helm-gobin.XXXXXX")
    if GOBIN=$tmp go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$v" >>"$log" 2>&1; then
      mv "$tmp/helm" "$bin_dir/helm-$v"
      rm -rf "$tmp"
      ln -sfn "helm-$v" "$link"
      return
    fi
    rm -rf "$tmp"
    say "helm $v did not build (see $log)"
  done
  die "could not build helm (${helm_versions[*]}); see $log"
}

install_kubernetes_validate() {
  local kv=$venv/bin/kubernetes-validate
  if [[ -x $kv && $(cat "$venv/.complete" 2>/dev/null) == "$kv_version" ]]; then return; fi
  command -v python3 >/dev/null 2>&1 || die "'python3' not found: install Python 3.9 or newer (apt-get install python3 python3-venv)"
  say "installing kubernetes-validate $kv_version from PyPI into $venv (once)"
  local log=$stack_dir/venv-k8s.log
  mkdir -p "$stack_dir"
  rm -rf "$venv"
  python3 -m venv "$venv" >"$log" 2>&1 \
    || die "python3 -m venv failed (apt-get install python3-venv?); see $log"
  "$venv/bin/pip" install --disable-pip-version-check -q "kubernetes-validate==$kv_version" >>"$log" 2>&1 \
    || die "pip install kubernetes-validate==$kv_version failed; see $log"
  echo "$kv_version" >"$venv/.complete"
}

mkdir -p "$stack_dir"
# Test files may call this at the same time: one installer at a time.
exec 9>"$stack_dir/.chart-tools.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
install_helm
install_kubernetes_validate
printf 'helm=%s\n' "$bin_dir/helm"
printf 'kubernetes-validate=%s\n' "$venv/bin/kubernetes-validate"
printf 'python=%s\n' "$venv/bin/python"
