#!/usr/bin/env bash
# The whole loop on this machine: local Kafka + FerretDB, `hookstream all`, a webhook registered
# with the CLI, a bundled receiver that verifies signatures, and events published to it.
#
#   npm run demo            runs until Ctrl-C (publish more with the command it prints)
#   npm run demo -- --once  exits after the deliveries were received and verified
set -euo pipefail
cd "$(dirname "$0")/.."
once=false; [[ ${1:-} == --once ]] && once=true

stack_dir=${HOOKSTREAM_STACK_DIR:-$PWD/.stack}
demo_dir=$stack_dir/demo
mkdir -p "$demo_dir"
receiver_port=${DEMO_RECEIVER_PORT:-9000}

[[ -f dist/main.js && -z "$(find src -newer dist/main.js -name '*.ts' -print -quit)" ]] || { echo "demo: building"; npm run build --silent; }

eval "$(bash scripts/stack.sh up)"
# The key that encrypts webhook secrets at rest: made once, kept with the demo's data.
[[ -f $demo_dir/secret-key ]] || node -e "process.stdout.write(require('crypto').randomBytes(32).toString('hex'))" >"$demo_dir/secret-key"
export HOOKSTREAM_SECRET_KEY=$(cat "$demo_dir/secret-key")
export HOOKSTREAM_ADMIN_API_KEY=${HOOKSTREAM_ADMIN_API_KEY:-demo-admin-key-change-me-0123456789abcdef}
export HOOKSTREAM_TOPIC_PREFIX=${HOOKSTREAM_TOPIC_PREFIX:-demo}
export HOOKSTREAM_EVENT_TOPICS=${HOOKSTREAM_EVENT_TOPICS:-demo.domain-events}
export HOOKSTREAM_RETRY_TIERS=${HOOKSTREAM_RETRY_TIERS:-5s,1m,10m,1h,6h}   # a short first tier, so a retry shows up quickly
export HOOKSTREAM_ALLOW_HTTP=true HOOKSTREAM_ALLOW_PRIVATE_TARGETS=true    # the receiver is http://127.0.0.1
export MONGODB_URI=${MONGODB_URI%/*}/hookstream_demo
hs() { node bin/hookstream.js "$@"; }

pids=()
cleanup() {
  echo; echo "demo: stopping (SIGTERM, in-flight work is finished first)"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  echo "demo: stopped. Local services keep running: npm run stack:down stops them."
}
trap cleanup EXIT

hs topics create --event-topics --partitions 3 >/dev/null
# A webhook left by an earlier run has another secret than this run's receiver knows: remove it.
for old in $(hs webhooks list --env demo --json 2>/dev/null | node -e "
  let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => {
    const list = s.trim() ? JSON.parse(s) : [];
    const rows = Array.isArray(list) ? list : (list.data ?? []);
    for (const w of rows) if (w.description === 'hookstream demo receiver') console.log(w.id);
  });"); do
  hs webhooks delete --env demo --id "$old" >/dev/null 2>&1 && echo "demo: removed the webhook of an earlier run ($old)"
done
echo "demo: registering a webhook for vendor.* in environment 'demo' → http://127.0.0.1:$receiver_port/hooks"
hs webhooks create --env demo --url "http://127.0.0.1:$receiver_port/hooks" --types 'vendor.*' \
  --description 'hookstream demo receiver' >"$demo_dir/webhook.json" 2>/dev/null
secret=$(node -e "process.stdout.write(JSON.parse(require('fs').readFileSync('$demo_dir/webhook.json','utf8')).secret)")

# Started without a subshell in between, so that $! is node itself and the SIGTERM of `cleanup`
# reaches it (a signal to a subshell would leave node running).
node bin/hookstream.js receiver --port "$receiver_port" --secret "$secret" --fail-first 1 > >(tee "$demo_dir/receiver.log") &
pids+=($!)
node bin/hookstream.js all >"$demo_dir/hookstream.log" 2>&1 &
pids+=($!)
echo "demo: hookstream all is starting (log: $demo_dir/hookstream.log)"
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:${HOOKSTREAM_METRICS_PORT:-9464}/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "http://127.0.0.1:${HOOKSTREAM_METRICS_PORT:-9464}/readyz" >/dev/null || { echo "demo: hookstream did not become ready; last log lines:"; tail -20 "$demo_dir/hookstream.log"; exit 1; }

echo "demo: publishing vendor.created (the receiver fails its first attempt once, so watch attempt 2 arrive ~5 s later)"
hs events publish --env demo --type vendor.created --data '{"vendor_id":"v_123","name":"Acme Corp"}'

for _ in $(seq 1 60); do
  grep -q 'attempt 2  signature ok' "$demo_dir/receiver.log" 2>/dev/null && break
  sleep 0.5
done
if ! grep -q '→ 200.*signature ok' "$demo_dir/receiver.log"; then
  echo "demo: no verified delivery arrived; see $demo_dir/hookstream.log"; exit 1
fi
api=http://127.0.0.1:${HOOKSTREAM_API_PORT:-8080}
echo "demo: delivered and verified. Admin API: curl -H 'Authorization: Bearer $HOOKSTREAM_ADMIN_API_KEY' $api/v1/environments/demo/webhooks"
echo "demo: operator console: $api/console  — sign in with the API key $HOOKSTREAM_ADMIN_API_KEY (environment demo shows the delivery and its two attempts)"
$once && exit 0
echo "demo: publish more with: KAFKA_BROKERS=$KAFKA_BROKERS HOOKSTREAM_EVENT_TOPICS=$HOOKSTREAM_EVENT_TOPICS node bin/hookstream.js events publish --env demo --type vendor.status_changed --data '{}'"
echo "demo: Ctrl-C to stop"
wait
