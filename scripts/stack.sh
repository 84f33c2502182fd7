#!/usr/bin/env bash
# Local services without Docker: Apache Kafka (KRaft, single node, from Maven Central jars) and
# FerretDB (MongoDB wire protocol, SQLite backend), both on loopback.
#
#   scripts/stack.sh up | down | status | env
#   scripts/stack.sh start kafka|ferretdb | stop kafka|ferretdb     (one service; fault tests use these)
#
# Everything it downloads, builds, stores and logs lives under $HOOKSTREAM_STACK_DIR
# (default: <repo>/.stack, git-ignored). `up` is idempotent; `down` stops only the processes whose
# pid files it wrote. HOOKSTREAM_STACK_INSTANCE names a separate instance (own data, logs, pids;
# give it other ports), e.g. for fault-injection tests that stop and start services.
#
# HOOKSTREAM_STACK_SECURE=1 adds, next to the plain listeners of the same processes, a SASL_SSL
# Kafka listener (127.0.0.1:9094, SCRAM-SHA-512 user `hookstream`), an SSL listener that requires a
# client certificate (127.0.0.1:9095, mutual TLS) and a FerretDB TLS listener (127.0.0.1:27018),
# with certificates from a throwaway CA made here (<instance>/tls/ca.pem).
# `env` prints the variables for the plain listeners, `env secure` those for the secure ones, and
# `env current` (npm run stack:env) the secure ones when HOOKSTREAM_STACK_SECURE=1.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
stack_dir=${HOOKSTREAM_STACK_DIR:-$repo/.stack}
kafka_version=${HOOKSTREAM_KAFKA_VERSION:-4.1.1}
ferretdb_version=${HOOKSTREAM_FERRETDB_VERSION:-v1.24.2}
kafka_port=${HOOKSTREAM_STACK_KAFKA_PORT:-9092}
controller_port=${HOOKSTREAM_STACK_CONTROLLER_PORT:-9093}
mongo_port=${HOOKSTREAM_STACK_MONGO_PORT:-27017}
secure=${HOOKSTREAM_STACK_SECURE:-0}
[[ $secure == 1 || $secure == true ]] && secure=1 || secure=0
kafka_secure_port=${HOOKSTREAM_STACK_KAFKA_SECURE_PORT:-9094}
kafka_mtls_port=${HOOKSTREAM_STACK_KAFKA_MTLS_PORT:-9095}
mongo_tls_port=${HOOKSTREAM_STACK_MONGO_TLS_PORT:-27018}
scram_user=hookstream
kafka_heap=${HOOKSTREAM_STACK_KAFKA_HEAP:-768m}
wait_seconds=${HOOKSTREAM_STACK_WAIT_SECONDS:-120}

kafka_home=$stack_dir/kafka-$kafka_version
ferretdb_bin=$stack_dir/bin/ferretdb-$ferretdb_version
instance=${HOOKSTREAM_STACK_INSTANCE:-}
instance_dir=$stack_dir${instance:+/instances/$instance}
run_dir=$instance_dir/run
log_dir=$instance_dir/logs
data_dir=$instance_dir/data
tls_dir=$instance_dir/tls

say() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

need() { # need <command> <what to install>
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found: install $2 (or run with Docker: docker compose up)"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { # pid_alive <name>
  local f=$run_dir/$1.pid
  [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

wait_port() { # wait_port <name> <port> <log>
  local deadline=$((SECONDS + wait_seconds))
  until port_open "$2"; do
    pid_alive "$1" || die "$1 exited during start-up; last lines of $3:$(printf '\n'; tail -n 20 "$3")"
    ((SECONDS < deadline)) || die "$1 did not accept connections on 127.0.0.1:$2 within ${wait_seconds}s; see $3"
    sleep 0.2
  done
}

install_kafka() {
  [[ -f $kafka_home/.complete ]] && return
  need java "Java 17 or newer (apt-get install openjdk-17-jre-headless)"
  need mvn "Maven (apt-get install maven)"
  say "resolving org.apache.kafka:kafka_2.13:$kafka_version from Maven Central into $kafka_home (once)"
  rm -rf "$kafka_home" && mkdir -p "$kafka_home"
  cat >"$kafka_home/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.hookstream</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$kafka_version</version></dependency>
  </dependencies>
</project>
POM
  (cd "$kafka_home" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=lib) \
    >"$kafka_home/maven.log" 2>&1 || die "Maven could not resolve Kafka $kafka_version; see $kafka_home/maven.log"
  # Kafka 4.x logs through log4j2 (log4j-core is a dependency); 3.x needs an SLF4J binding added.
  if ! ls "$kafka_home"/lib/log4j-slf4j2-impl-*.jar "$kafka_home"/lib/slf4j-reload4j-*.jar >/dev/null 2>&1; then
    local slf4j
    slf4j=$(ls "$kafka_home"/lib/slf4j-api-*.jar | sed -E 's/.*slf4j-api-(.*)\.jar/\1/')
    (cd "$kafka_home" && mvn -q -B dependency:copy -Dartifact="org.slf4j:slf4j-simple:$slf4j" -DoutputDirectory=lib) \
      >>"$kafka_home/maven.log" 2>&1 || die "Maven could not fetch slf4j-simple $slf4j; see $kafka_home/maven.log"
  fi
  touch "$kafka_home/.complete"
}

install_ferretdb() {
  [[ -x $ferretdb_bin ]] && return
  need go "Go 1.22 or newer (apt-get install golang-go)"
  # A plain `go install …/cmd/ferretdb@v1.24.2` builds a binary that panics at start: the module
  # zip lacks the generated build/version/version.txt. So fetch the same module through the Go
  # module proxy, copy it, write that one file, and build ./cmd/ferretdb from the copy.
  say "building FerretDB $ferretdb_version from the Go module proxy into $stack_dir/bin (once)"
  local src=$stack_dir/src/ferretdb-$ferretdb_version build_log=$stack_dir/ferretdb-build.log mod_dir
  mod_dir=$(go mod download -json "github.com/FerretDB/FerretDB@$ferretdb_version" 2>"$build_log" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
  [[ -n $mod_dir && -d $mod_dir ]] || die "could not download FerretDB $ferretdb_version; see $build_log"
  rm -rf "$src" && mkdir -p "$(dirname "$src")" "$stack_dir/bin"
  cp -r "$mod_dir" "$src" && chmod -R u+w "$src"
  echo "$ferretdb_version" >"$src/build/version/version.txt"
  (cd "$src" && go build -trimpath -o "$ferretdb_bin.tmp" ./cmd/ferretdb) >>"$build_log" 2>&1 \
    || die "building FerretDB failed; see $build_log"
  mv "$ferretdb_bin.tmp" "$ferretdb_bin"
}

# The throwaway CA and the one server certificate both services present (SAN 127.0.0.1, localhost),
# the Kafka keystore (PKCS12) and the SCRAM password, made once per instance. Local use only: the
# keys are unencrypted files and the passwords are random.
make_tls() {
  [[ -f $tls_dir/.complete ]] && return
  need openssl "OpenSSL (apt-get install openssl)"
  say "making a throwaway CA and server certificate in $tls_dir (once)"
  rm -rf "$tls_dir" && mkdir -p "$tls_dir" && chmod 700 "$tls_dir"
  local log=$tls_dir/openssl.log
  (
    cd "$tls_dir"
    openssl req -x509 -new -nodes -newkey rsa:2048 -keyout ca.key -out ca.pem -days 3650 \
      -subj "/CN=hookstream local stack CA"
    openssl req -new -nodes -newkey rsa:2048 -keyout server.key -out server.csr -subj "/CN=localhost"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 825 \
      -extfile server.ext
    openssl rand -hex 24 >keystore.password
    openssl pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem -name kafka \
      -out server.p12 -passout "file:keystore.password"
    openssl rand -hex 24 >kafka-password
    chmod 600 ./*.key ./*.password kafka-password server.p12
  ) >"$log" 2>&1 || die "making the TLS material failed; see $log"
  touch "$tls_dir/.complete"
}

# The client certificate for the mutual-TLS listener (made separately: older TLS folders lack it).
make_client_cert() {
  [[ -f $tls_dir/client.pem ]] && return
  local log=$tls_dir/openssl-client.log
  (
    cd "$tls_dir"
    openssl req -new -nodes -newkey rsa:2048 -keyout client.key -out client.csr -subj "/CN=hookstream-client"
    printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem.tmp -days 825 \
      -extfile client.ext
    chmod 600 client.key && mv client.pem.tmp client.pem
  ) >"$log" 2>&1 || die "making the client certificate failed; see $log"
}

# Adds the SCRAM-SHA-512 user to a running broker whose storage was formatted without it (a plain
# stack switched to secure): KRaft keeps SCRAM credentials in the metadata log, so this goes through
# the Admin API (kafka-configs) over the plain listener. Idempotent; remembered in the data dir.
ensure_scram_user() {
  local marker=$data_dir/kafka/.scram-$scram_user digest
  digest=$(openssl dgst -sha256 -r "$tls_dir/kafka-password" | cut -d' ' -f1)
  [[ -f $marker && $(cat "$marker") == "$digest" ]] && return
  say "adding SCRAM-SHA-512 user '$scram_user' to the running broker"
  java -cp "$kafka_home/lib/*" kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$kafka_port" \
    --alter --entity-type users --entity-name "$scram_user" \
    --add-config "SCRAM-SHA-512=[password=$(cat "$tls_dir/kafka-password")]" >"$log_dir/kafka-scram.log" 2>&1 \
    || die "adding the SCRAM user failed; see $log_dir/kafka-scram.log"
  echo "$digest" >"$marker"
}

secure_kafka_properties() {
  cat <<PROPS
listeners=PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$controller_port,SASL_SSL://127.0.0.1:$kafka_secure_port,SSL://127.0.0.1:$kafka_mtls_port
advertised.listeners=PLAINTEXT://127.0.0.1:$kafka_port,SASL_SSL://127.0.0.1:$kafka_secure_port,SSL://127.0.0.1:$kafka_mtls_port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls_dir/server.p12
ssl.keystore.password=$(cat "$tls_dir/keystore.password")
ssl.client.auth=none
listener.name.ssl.ssl.client.auth=required
listener.name.ssl.ssl.truststore.type=PEM
listener.name.ssl.ssl.truststore.location=$tls_dir/ca.pem
PROPS
}

start_kafka() {
  if pid_alive kafka; then
    say "kafka already running (pid $(cat "$run_dir/kafka.pid"))"
    if ((secure)) && ! grep -q '^listeners=.*SASL_SSL.*,SSL:' "$instance_dir/kafka.properties" 2>/dev/null; then
      die "kafka (pid $(cat "$run_dir/kafka.pid")) was started without the SASL_SSL and SSL listeners; to add it, restart it: $0 stop kafka && HOOKSTREAM_STACK_SECURE=1 $0 up"
    fi
    return
  fi
  port_open "$kafka_port" && die "127.0.0.1:$kafka_port is taken by a process this script did not start"
  local props=$instance_dir/kafka.properties kdata=$data_dir/kafka log=$log_dir/kafka.log
  mkdir -p "$kdata"
  cat >"$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
$(if ((secure)); then secure_kafka_properties; else cat <<PLAIN
listeners=PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$kafka_port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
PLAIN
fi)
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$kdata
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=168
PROPS
  local cp="$kafka_home/lib/*"
  if [[ ! -f $kdata/meta.properties ]]; then
    local id scram=()
    id=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    # A secure stack gets its SCRAM user with the storage (an older plain storage: ensure_scram_user).
    if ((secure)); then
      scram=(--add-scram "SCRAM-SHA-512=[name=$scram_user,password=$(cat "$tls_dir/kafka-password")]")
    fi
    java -cp "$cp" kafka.tools.StorageTool format -t "$id" -c "$props" "${scram[@]}" >"$log_dir/kafka-format.log" 2>&1 \
      || die "formatting Kafka storage failed; see $log_dir/kafka-format.log"
    if ((secure)); then
      openssl dgst -sha256 -r "$tls_dir/kafka-password" | cut -d' ' -f1 >"$kdata/.scram-$scram_user"
    fi
  fi
  say "starting kafka $kafka_version on 127.0.0.1:$kafka_port (log: $log)"
  nohup java -Xms256m "-Xmx$kafka_heap" -XX:+UseG1GC -Djava.awt.headless=true \
    "-Dkafka.logs.dir=$log_dir" -cp "$cp" kafka.Kafka "$props" >"$log" 2>&1 </dev/null 9>&- &
  echo $! >"$run_dir/kafka.pid"
}

start_ferretdb() {
  if pid_alive ferretdb; then
    say "ferretdb already running (pid $(cat "$run_dir/ferretdb.pid"))"
    if ((secure)) && ! tr '\0' ' ' <"/proc/$(cat "$run_dir/ferretdb.pid")/cmdline" | grep -q -- '--listen-tls='; then
      die "ferretdb (pid $(cat "$run_dir/ferretdb.pid")) was started without the TLS listener; to add it, restart it: $0 stop ferretdb && HOOKSTREAM_STACK_SECURE=1 $0 up"
    fi
    return
  fi
  port_open "$mongo_port" && die "127.0.0.1:$mongo_port is taken by a process this script did not start"
  local fdata=$data_dir/ferretdb log=$log_dir/ferretdb.log tls=()
  mkdir -p "$fdata" "$data_dir/ferretdb-state"
  if ((secure)); then
    port_open "$mongo_tls_port" && die "127.0.0.1:$mongo_tls_port is taken by a process this script did not start"
    tls=("--listen-tls=127.0.0.1:$mongo_tls_port" "--listen-tls-cert-file=$tls_dir/server.pem"
      "--listen-tls-key-file=$tls_dir/server.key")
  fi
  say "starting ferretdb $ferretdb_version on 127.0.0.1:$mongo_port${tls:+ and TLS 127.0.0.1:$mongo_tls_port} (log: $log)"
  nohup "$ferretdb_bin" --handler=sqlite "--sqlite-url=file:$fdata/" \
    "--listen-addr=127.0.0.1:$mongo_port" "${tls[@]}" "--state-dir=$data_dir/ferretdb-state" \
    --telemetry=disable --log-level=warn --debug-addr=- >"$log" 2>&1 </dev/null 9>&- &
  echo $! >"$run_dir/ferretdb.pid"
}

wait_kafka_ready() {
  # The port opens before the broker has finished joining its own quorum; wait for the log line.
  local deadline=$((SECONDS + wait_seconds))
  until grep -q 'Kafka Server started\|\[KafkaRaftServer nodeId=1\] Kafka Server started' "$log_dir/kafka.log" 2>/dev/null; do
    pid_alive kafka || die "kafka exited during start-up; last lines of $log_dir/kafka.log:$(printf '\n'; tail -n 20 "$log_dir/kafka.log")"
    ((SECONDS < deadline)) || die "kafka did not report ready within ${wait_seconds}s; see $log_dir/kafka.log"
    sleep 0.2
  done
}

print_env() { # print_env [secure|mtls]
  if [[ ${1:-} == mtls ]]; then
    cat <<ENV
export KAFKA_BROKERS=127.0.0.1:$kafka_mtls_port
export KAFKA_SSL=true
export KAFKA_SSL_CA_FILE=$tls_dir/ca.pem
export KAFKA_SSL_CERT_FILE=$tls_dir/client.pem
export KAFKA_SSL_KEY_FILE=$tls_dir/client.key
export MONGODB_URI='mongodb://127.0.0.1:$mongo_tls_port/hookstream?tls=true&tlsCAFile=$tls_dir/ca.pem'
ENV
    return
  fi
  if [[ ${1:-} == secure ]]; then
    cat <<ENV
export KAFKA_BROKERS=127.0.0.1:$kafka_secure_port
export KAFKA_SSL=true
export KAFKA_SSL_CA_FILE=$tls_dir/ca.pem
export KAFKA_SASL_MECHANISM=scram-sha-512
export KAFKA_SASL_USERNAME=$scram_user
export KAFKA_SASL_PASSWORD_FILE=$tls_dir/kafka-password
export MONGODB_URI='mongodb://127.0.0.1:$mongo_tls_port/hookstream?tls=true&tlsCAFile=$tls_dir/ca.pem'
ENV
    return
  fi
  cat <<ENV
export KAFKA_BROKERS=127.0.0.1:$kafka_port
export MONGODB_URI=mongodb://127.0.0.1:$mongo_port/hookstream
ENV
  if ((secure)); then printf '# secure listeners: eval "$(bash %s env secure)"\n' "$0"; fi
}

# One `up`/`start` at a time per instance: test runs that start the stack concurrently wait here.
# Services started under it get `9>&-`, or they would hold the lock for as long as they run.
take_lock() {
  exec 9>"$instance_dir/.stack.lock"
  flock -w "$wait_seconds" 9 || die "another scripts/stack.sh has held $instance_dir/.stack.lock for ${wait_seconds}s"
}

cmd_up() {
  local t0=$SECONDS
  mkdir -p "$run_dir" "$log_dir" "$data_dir"
  take_lock
  install_kafka
  install_ferretdb
  if ((secure)); then make_tls; make_client_cert; fi
  start_kafka
  start_ferretdb
  wait_port ferretdb "$mongo_port" "$log_dir/ferretdb.log"
  wait_port kafka "$kafka_port" "$log_dir/kafka.log"
  wait_kafka_ready
  say "up in $((SECONDS - t0))s: kafka 127.0.0.1:$kafka_port, ferretdb 127.0.0.1:$mongo_port"
  if ((secure)); then
    wait_port ferretdb "$mongo_tls_port" "$log_dir/ferretdb.log"
    wait_port kafka "$kafka_secure_port" "$log_dir/kafka.log"
    wait_port kafka "$kafka_mtls_port" "$log_dir/kafka.log"
    ensure_scram_user
    say "secure: kafka SASL_SSL 127.0.0.1:$kafka_secure_port (SCRAM-SHA-512 user $scram_user), SSL with client certificates 127.0.0.1:$kafka_mtls_port, ferretdb TLS 127.0.0.1:$mongo_tls_port, CA $tls_dir/ca.pem"
  fi
  print_env
}

stop_one() { # stop_one <name>
  local f=$run_dir/$1.pid
  if ! pid_alive "$1"; then rm -f "$f"; say "$1 not running"; return; fi
  local pid; pid=$(cat "$f")
  kill "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then say "$1 (pid $pid) ignored SIGTERM for 30s; sending SIGKILL"; kill -9 "$pid"; fi
  rm -f "$f"
  say "stopped $1 (pid $pid)"
}

cmd_down() {
  stop_one kafka
  stop_one ferretdb
}

cmd_status() {
  local rc=0
  local services=(kafka:$kafka_port ferretdb:$mongo_port)
  if ((secure)); then services+=(kafka:$kafka_secure_port kafka:$kafka_mtls_port ferretdb:$mongo_tls_port); fi
  for svc in "${services[@]}"; do
    local name=${svc%%:*} port=${svc##*:}
    if pid_alive "$name"; then
      local state=listening; port_open "$port" || { state="not accepting connections"; rc=1; }
      printf '%-9s running  pid %-7s 127.0.0.1:%-6s %s\n' "$name" "$(cat "$run_dir/$name.pid")" "$port" "$state"
    else
      printf '%-9s stopped\n' "$name"; rc=1
    fi
  done
  printf 'cache:    %s (kafka %s: %s, ferretdb %s: %s)\n' "$stack_dir" \
    "$kafka_version" "$([[ -f $kafka_home/.complete ]] && echo cached || echo 'not downloaded')" \
    "$ferretdb_version" "$([[ -x $ferretdb_bin ]] && echo built || echo 'not built')"
  return $rc
}

cmd_start_one() {
  mkdir -p "$run_dir" "$log_dir" "$data_dir"
  take_lock
  case "${1:-}" in
    kafka) install_kafka; if ((secure)); then make_tls; make_client_cert; fi; start_kafka; wait_port kafka "$kafka_port" "$log_dir/kafka.log"; wait_kafka_ready ;;
    ferretdb) install_ferretdb; if ((secure)); then make_tls; fi; start_ferretdb; wait_port ferretdb "$mongo_port" "$log_dir/ferretdb.log" ;;
    *) die "start what? kafka or ferretdb" ;;
  esac
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) # env: plain listeners (what test setups parse) · env secure (SASL_SSL) · env mtls (client certificate)
    #      · env current: secure when HOOKSTREAM_STACK_SECURE=1
    case "${2:-}" in
      '' | secure | mtls) print_env "${2:-}" ;;
      current) if ((secure)); then print_env secure; else print_env; fi ;;
      *) die "env what? nothing (plain listeners), secure, mtls, or current" ;;
    esac ;;
  start) cmd_start_one "${2:-}" ;;
  stop) [[ ${2:-} == kafka || ${2:-} == ferretdb ]] || die "stop what? kafka or ferretdb"; stop_one "$2" ;;
  *) echo "usage: $0 up|down|status|env|start <svc>|stop <svc>" >&2; exit 2 ;;
esac
