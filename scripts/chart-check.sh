#!/usr/bin/env bash
# Checks the Helm chart offline: helm lint and helm template with the default values and with every
# feature on (helm/hookstream/ci/all-features-values.yaml), then validates every rendered manifest
# with kubernetes-validate (strict: unknown fields fail) against the Kubernetes version pinned here.
#
#   scripts/chart-check.sh                   the whole check; renders kept in <stack>/chart-check/
#   scripts/chart-check.sh validate FILE...  only the kubernetes-validate step, on rendered YAML
#
# Custom resources (ServiceMonitor, PrometheusRule, ScaledObject, TriggerAuthentication) have no schema in the Kubernetes
# OpenAPI: they are skipped here and checked structurally by test/chart. Any other kind without a
# schema fails. Tools come from scripts/chart-tools.sh (installed on first use).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
stack_dir=${HOOKSTREAM_STACK_DIR:-$repo/.stack}
chart=$repo/helm/hookstream
all_features=$chart/ci/all-features-values.yaml
# The oldest Kubernetes the chart is checked against (kubernetes-validate ships its schemas).
k8s_version=${HOOKSTREAM_CHART_K8S_VERSION:-1.30.0}
out_dir=$stack_dir/chart-check

say() { printf 'chart-check: %s\n' "$*" >&2; }
die() { printf 'chart-check: FAILED: %s\n' "$*" >&2; exit 1; }

tools=$(bash "$repo/scripts/chart-tools.sh") || die "scripts/chart-tools.sh could not install helm and kubernetes-validate"
helm=$(sed -n 's/^helm=//p' <<<"$tools")
python=$(sed -n 's/^python=//p' <<<"$tools")

# validate FILE...: strict kubernetes-validate of every document; exit 1 on any failure.
validate() {
  "$python" - "$k8s_version" "$@" <<'PY'
import sys
import yaml
from kubernetes_validate import utils

version, files = sys.argv[1], sys.argv[2:]
# Custom resources: no schema in the Kubernetes OpenAPI; test/chart checks their structure.
CRD_GROUPS = ("monitoring.coreos.com/", "keda.sh/")
failures, checked, skipped = [], 0, []
for path in files:
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    if not docs:
        failures.append(f"{path}: no manifests")
    seen = set()
    for doc in docs:
        kind, api = doc.get("kind"), doc.get("apiVersion", "")
        name = (doc.get("metadata") or {}).get("name")
        where = f"{path}: {kind}/{name}"
        if not kind or not api or not name:
            failures.append(f"{where}: apiVersion, kind and metadata.name are required")
            continue
        if (kind, name) in seen:
            failures.append(f"{where}: rendered twice")
        seen.add((kind, name))
        if api.startswith(CRD_GROUPS):
            skipped.append(f"{kind}/{name}")
            continue
        try:
            utils.validate(doc, version, strict=True)
            checked += 1
        except utils.ValidationError as e:
            field = ".".join(str(p) for p in e.path) or "(root)"
            failures.append(f"{where}: {field}: {e.message}")
        except utils.SchemaNotFoundError as e:
            failures.append(f"{where}: {e.message}")
        except utils.VersionNotSupportedError as e:
            failures.append(f"kubernetes-validate has no schemas for Kubernetes {version}: {e.message}")
            break
for line in failures:
    print(f"  {line}", file=sys.stderr)
print(f"kubernetes-validate {version} (strict): {checked} valid, {len(failures)} invalid, "
      f"{len(skipped)} custom resources skipped", file=sys.stderr)
sys.exit(1 if failures else 0)
PY
}

if [[ ${1:-} == validate ]]; then
  shift
  (($# > 0)) || die "usage: scripts/chart-check.sh validate FILE..."
  validate "$@" || die "rendered manifests do not validate against Kubernetes $k8s_version"
  exit 0
fi

t0=$SECONDS
mkdir -p "$out_dir"
[[ -f $all_features ]] || die "$all_features is missing"

for variant in default all-features; do
  args=()
  [[ $variant == all-features ]] && args=(--values "$all_features")
  say "helm lint ($variant values)"
  "$helm" lint "$chart" --strict --quiet --kube-version "$k8s_version" "${args[@]}" >"$out_dir/lint-$variant.log" 2>&1 \
    || { cat "$out_dir/lint-$variant.log" >&2; die "helm lint failed with the $variant values"; }
  say "helm template ($variant values) > $out_dir/$variant.yaml"
  "$helm" template hookstream "$chart" --namespace hookstream --kube-version "$k8s_version" "${args[@]}" \
    >"$out_dir/$variant.yaml" 2>"$out_dir/template-$variant.log" \
    || { cat "$out_dir/template-$variant.log" >&2; die "helm template failed with the $variant values"; }
done

say "kubernetes-validate against Kubernetes $k8s_version"
validate "$out_dir/default.yaml" "$out_dir/all-features.yaml" \
  || die "rendered manifests do not validate against Kubernetes $k8s_version (renders in $out_dir)"

say "ok in $((SECONDS - t0))s"
