#!/usr/bin/env bash
# Runs hookstream's npm commands under Node.js 24 LTS, on any machine.
#
#   bash scripts/dev.sh demo          npm ci (when needed), then npm run demo
#   bash scripts/dev.sh test          npm ci (when needed), then npm test
#   bash scripts/dev.sh <npm args…>   any other npm command, e.g. `run bench`, `run test:faults`
#   source scripts/dev.sh --env       only put Node 24 first on PATH in the calling shell
#
# When the node on PATH is older than the major in .node-version, Node 24 is installed once from the
# npm registry (the `node` package carries the binary in a platform package) into
# $HOOKSTREAM_STACK_DIR/node (default .stack/node, git-ignored) and put first on PATH; npm itself is
# a node script, so `npm ci` then runs on Node 24 too. A machine that already has Node 24 downloads
# nothing.
_dev_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

hookstream_use_node() {
  local want have dir
  want=$(tr -d ' \n' <"$_dev_repo/.node-version")
  want=${want%%.*}
  have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  ((have >= want)) && return 0
  dir=${HOOKSTREAM_STACK_DIR:-$_dev_repo/.stack}/node
  if ! "$dir/node_modules/.bin/node" -e "process.exit(+process.versions.node.split('.')[0] === $want ? 0 : 1)" 2>/dev/null; then
    printf 'dev: node %s is older than %s (.node-version): installing node@%s from the npm registry into %s (once)\n' \
      "$(node --version 2>/dev/null || echo none)" "$want" "$want" "$dir" >&2
    mkdir -p "$dir"
    npm install --no-audit --no-fund --no-save --loglevel=error --prefix "$dir" "node@$want" >"$dir/install.log" 2>&1 ||
      { printf 'dev: installing node@%s failed; see %s\n' "$want" "$dir/install.log" >&2; return 1; }
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
}

# npm ci when node_modules is missing or older than the lock file (or was installed by another node).
hookstream_npm_ci() {
  local stamp=$_dev_repo/node_modules/.installed-with
  if [[ ! -f $stamp || $_dev_repo/package-lock.json -nt $stamp || $(cat "$stamp") != "$(node --version)" ]]; then
    (cd "$_dev_repo" && npm ci --no-audit --no-fund) && node --version >"$stamp"
  fi
}

if [[ ${BASH_SOURCE[0]} != "$0" ]]; then # sourced: leave the caller's shell options alone
  hookstream_use_node
  return $?
fi

set -euo pipefail
hookstream_use_node
cd "$_dev_repo"
printf 'dev: node %s (%s)\n' "$(node --version)" "$(command -v node)" >&2
case ${1:-} in
  demo | test)
    hookstream_npm_ci
    cmd=$1
    shift
    exec npm run "$cmd" -- "$@"
    ;;
  "" | -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) exec npm "$@" ;;
esac
