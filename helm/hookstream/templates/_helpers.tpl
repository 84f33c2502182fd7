{{/* ---- names and labels ------------------------------------------------------------------ */}}

{{- define "hookstream.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hookstream.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "hookstream.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hookstream.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hookstream.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "hookstream.labels" -}}
helm.sh/chart: {{ include "hookstream.chart" . }}
{{ include "hookstream.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hookstream
{{- end }}

{{/*
Name of one role's resources: <fullname>-<component>. Fails rather than truncating, so that two
tiers can never collapse onto one name.
*/}}
{{- define "hookstream.roleName" -}}
{{- $name := printf "%s-%s" (include "hookstream.fullname" .root) .component }}
{{- if gt (len $name) 63 }}
{{- fail (printf "resource name %q is longer than 63 characters: shorten fullnameOverride or the release name" $name) }}
{{- end }}
{{- $name }}
{{- end }}

{{/* A tier name as a DNS-1123 label fragment: lowercase letters, digits and dashes (1m → 1m). */}}
{{- define "hookstream.tierSlug" -}}
{{- regexReplaceAll "[^a-z0-9-]+" (. | toString | lower) "-" | trimAll "-" }}
{{- end }}

{{- define "hookstream.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hookstream.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "hookstream.secretName" -}}
{{- default (include "hookstream.fullname" .) .Values.existingSecret }}
{{- end }}

{{- define "hookstream.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* ---- configuration ---------------------------------------------------------------------- */}}

{{/*
Every non-secret setting, keyed by its environment variable (src/config/config.ts VARIABLES).
Rendered into the ConfigMap and, inline, into the pre-install hook Job (which runs before the
ConfigMap exists).
*/}}
{{- define "hookstream.configEnv" -}}
{{- $c := .Values.config -}}
{{- $files := (include "hookstream.securityFiles" . | fromYaml).env -}}
{{- $k := .Values.kafka -}}
{{- $r := .Values.schemaRegistry -}}
KAFKA_BROKERS: {{ join "," $c.kafkaBrokers | quote }}
SCHEMA_REGISTRY_URL: {{ $c.schemaRegistryUrl | quote }}
KAFKA_SSL: {{ $k.tls.enabled | toString | quote }}
KAFKA_SSL_CA_FILE: {{ get $files "KAFKA_SSL_CA_FILE" | default "" | quote }}
KAFKA_SSL_CERT_FILE: {{ get $files "KAFKA_SSL_CERT_FILE" | default "" | quote }}
KAFKA_SSL_REJECT_UNAUTHORIZED: {{ $k.tls.rejectUnauthorized | toString | quote }}
KAFKA_SASL_MECHANISM: {{ $k.sasl.mechanism | quote }}
KAFKA_SASL_USERNAME: {{ $k.sasl.username | quote }}
KAFKA_SASL_PASSWORD_FILE: {{ get $files "KAFKA_SASL_PASSWORD_FILE" | default "" | quote }}
SCHEMA_REGISTRY_USERNAME: {{ $r.username | quote }}
SCHEMA_REGISTRY_PASSWORD_FILE: {{ get $files "SCHEMA_REGISTRY_PASSWORD_FILE" | default "" | quote }}
SCHEMA_REGISTRY_CA_FILE: {{ get $files "SCHEMA_REGISTRY_CA_FILE" | default "" | quote }}
HOOKSTREAM_EVENT_TOPICS: {{ join "," $c.eventTopics | quote }}
HOOKSTREAM_TOPIC_PREFIX: {{ $c.topicPrefix | quote }}
HOOKSTREAM_RETRY_TIERS: {{ join "," $c.retryTiers | quote }}
HOOKSTREAM_RETRY_BUDGET: {{ $c.retryBudget | quote }}
HOOKSTREAM_DELIVERY_TIMEOUT_MS: {{ $c.deliveryTimeoutMs | int64 | quote }}
HOOKSTREAM_HEADER_PREFIX: {{ $c.headerPrefix | quote }}
HOOKSTREAM_SENDER_CONCURRENCY: {{ $c.senderConcurrency | int64 | quote }}
HOOKSTREAM_WEBHOOK_REFRESH_MS: {{ $c.webhookRefreshMs | int64 | quote }}
HOOKSTREAM_WEBHOOK_CACHE_MS: {{ $c.webhookCacheMs | int64 | quote }}
HOOKSTREAM_SECRET_OVERLAP: {{ $c.secretOverlap | quote }}
HOOKSTREAM_DELIVERY_RECORDS: {{ $c.deliveryRecords | quote }}
HOOKSTREAM_LAG_INTERVAL_MS: {{ $c.lagIntervalMs | int64 | quote }}
HOOKSTREAM_KAFKA_SESSION_TIMEOUT: {{ $c.kafkaSessionTimeout | quote }}
HOOKSTREAM_SENDER_MAX_INFLIGHT_BYTES: {{ $c.senderMaxInflightBytes | int64 | quote }}
HOOKSTREAM_DEDUPE_WINDOW: {{ $c.dedupeWindow | quote }}
HOOKSTREAM_MAX_WEBHOOKS_PER_ENVIRONMENT: {{ $c.maxWebhooksPerEnvironment | int64 | quote }}
HOOKSTREAM_API_AUTH_FAILURES_PER_MINUTE: {{ $c.apiAuthFailuresPerMinute | int64 | quote }}
HOOKSTREAM_DISABLE_AFTER: {{ $c.disableAfter | quote }}
HOOKSTREAM_DISABLE_MIN_ATTEMPTS: {{ $c.disableMinAttempts | int64 | quote }}
HOOKSTREAM_RECORD_RETENTION: {{ $c.recordRetention | quote }}
HOOKSTREAM_TOPIC_PARTITIONS: {{ $c.topicPartitions | int64 | quote }}
HOOKSTREAM_TOPIC_REPLICATION: {{ $c.topicReplication | int64 | quote }}
HOOKSTREAM_API_PORT: {{ $c.apiPort | int64 | quote }}
HOOKSTREAM_API_HOST: {{ $c.apiHost | quote }}
HOOKSTREAM_METRICS_PORT: {{ $c.metricsPort | int64 | quote }}
HOOKSTREAM_ALLOW_HTTP: {{ $c.allowHttp | toString | quote }}
HOOKSTREAM_ALLOW_PRIVATE_TARGETS: {{ $c.allowPrivateTargets | toString | quote }}
HOOKSTREAM_TRACE_PROPAGATE: {{ $c.tracePropagate | toString | quote }}
LOG_LEVEL: {{ $c.logLevel | quote }}
{{- end }}

{{/*
Files of the Kafka TLS/SASL and schema-registry settings, mounted from existing Secrets or
ConfigMaps: {volumes: [{name, mountPath, source}], env: {VARIABLE: path}}. Fails on settings the
app would refuse at start-up, naming the value.
*/}}
{{- define "hookstream.securityFiles" -}}
{{- $k := .Values.kafka }}
{{- $r := .Values.schemaRegistry }}
{{- $volumes := list }}
{{- $env := dict }}
{{- $mode := 288 }}{{/* 0440: readable by the pod's fsGroup (10001), not by others */}}
{{- range $v := list (dict "name" "kafka-ca" "ca" $k.tls.ca "env" "KAFKA_SSL_CA_FILE" "what" "kafka.tls.ca")
                       (dict "name" "schema-registry-ca" "ca" $r.ca "env" "SCHEMA_REGISTRY_CA_FILE" "what" "schemaRegistry.ca") }}
{{- $ca := $v.ca }}
{{- if and $ca.secretName $ca.configMapName }}
{{- fail (printf "%s: set secretName or configMapName, not both" $v.what) }}
{{- end }}
{{- if or $ca.secretName $ca.configMapName }}
{{- $items := list (dict "key" $ca.key "path" "ca.pem") }}
{{- $source := dict "configMap" (dict "name" $ca.configMapName "items" $items "defaultMode" $mode) }}
{{- if $ca.secretName }}
{{- $source = dict "secret" (dict "secretName" $ca.secretName "items" $items "defaultMode" $mode) }}
{{- end }}
{{- $volumes = append $volumes (dict "name" $v.name "mountPath" (printf "/etc/hookstream/%s" $v.name) "source" $source) }}
{{- $_ := set $env $v.env (printf "/etc/hookstream/%s/ca.pem" $v.name) }}
{{- end }}
{{- end }}
{{- if and (hasKey $env "KAFKA_SSL_CA_FILE") (not $k.tls.enabled) }}
{{- fail "kafka.tls.ca is set but kafka.tls.enabled is false" }}
{{- end }}
{{- with $k.tls.clientCert }}
{{- if .secretName }}
{{- if not $k.tls.enabled }}
{{- fail "kafka.tls.clientCert is set but kafka.tls.enabled is false" }}
{{- end }}
{{- $items := list (dict "key" .certKey "path" "tls.crt") (dict "key" .keyKey "path" "tls.key") }}
{{- $volumes = append $volumes (dict "name" "kafka-client-cert" "mountPath" "/etc/hookstream/kafka-client-cert"
      "source" (dict "secret" (dict "secretName" .secretName "items" $items "defaultMode" $mode))) }}
{{- $_ := set $env "KAFKA_SSL_CERT_FILE" "/etc/hookstream/kafka-client-cert/tls.crt" }}
{{- $_ := set $env "KAFKA_SSL_KEY_FILE" "/etc/hookstream/kafka-client-cert/tls.key" }}
{{- end }}
{{- end }}
{{- if $k.sasl.mechanism }}
{{- if or (not $k.sasl.username) (not $k.sasl.passwordSecret.name) }}
{{- fail (printf "kafka.sasl.mechanism=%s needs kafka.sasl.username and kafka.sasl.passwordSecret.name" $k.sasl.mechanism) }}
{{- end }}
{{- else if or $k.sasl.username $k.sasl.passwordSecret.name }}
{{- fail "kafka.sasl.username/passwordSecret are set but kafka.sasl.mechanism is empty" }}
{{- end }}
{{- range $v := list (dict "name" "kafka-sasl" "secret" $k.sasl.passwordSecret "env" "KAFKA_SASL_PASSWORD_FILE")
                       (dict "name" "schema-registry-auth" "secret" $r.passwordSecret "env" "SCHEMA_REGISTRY_PASSWORD_FILE") }}
{{- if $v.secret.name }}
{{- $items := list (dict "key" $v.secret.key "path" "password") }}
{{- $volumes = append $volumes (dict "name" $v.name "mountPath" (printf "/etc/hookstream/%s" $v.name)
      "source" (dict "secret" (dict "secretName" $v.secret.name "items" $items "defaultMode" $mode))) }}
{{- $_ := set $env $v.env (printf "/etc/hookstream/%s/password" $v.name) }}
{{- end }}
{{- end }}
{{- if ne (empty $r.username) (empty $r.passwordSecret.name) }}
{{- fail "schemaRegistry.username and schemaRegistry.passwordSecret.name go together" }}
{{- end }}
{{- if and (or $r.username $r.ca.secretName $r.ca.configMapName) (not .Values.config.schemaRegistryUrl) }}
{{- fail "schemaRegistry credentials or CA are set but config.schemaRegistryUrl is empty" }}
{{- end }}
{{- dict "volumes" $volumes "env" $env | toYaml }}
{{- end }}

{{/* The pod-level pieces every container running the app shares: env, envFrom, volumes, mounts (root: ., role: role values or dict). */}}
{{- define "hookstream.podExtras" -}}
{{- $v := .root.Values }}
{{- $role := .role }}
{{- $files := include "hookstream.securityFiles" .root | fromYaml }}
{{- $env := list }}
{{- /* A secret variable by the app's list, so a path, not in the ConfigMap. */}}
{{- with get $files.env "KAFKA_SSL_KEY_FILE" }}
{{- $env = append $env (dict "name" "KAFKA_SSL_KEY_FILE" "value" .) }}
{{- end }}
{{- $user := concat ($v.extraEnv | default list) ($role.extraEnv | default list) }}
{{- /* nodeOptions (the image's V8 heap cap) unless extraEnv sets NODE_OPTIONS itself. */}}
{{- $userNodeOptions := false }}
{{- range $user }}{{ if eq .name "NODE_OPTIONS" }}{{ $userNodeOptions = true }}{{ end }}{{ end }}
{{- if and $v.nodeOptions (not $userNodeOptions) }}
{{- $env = append $env (dict "name" "NODE_OPTIONS" "value" $v.nodeOptions) }}
{{- end }}
{{- $env = concat $env $user }}
{{- $mounts := list (dict "name" "tmp" "mountPath" "/tmp") }}
{{- $volumes := list (dict "name" "tmp" "emptyDir" (dict "sizeLimit" $v.tmpSizeLimit)) }}
{{- range $files.volumes }}
{{- $mounts = append $mounts (dict "name" .name "mountPath" .mountPath "readOnly" true) }}
{{- $volumes = append $volumes (merge (dict "name" .name) .source) }}
{{- end }}
{{- $mounts = concat $mounts ($v.extraVolumeMounts | default list) ($role.extraVolumeMounts | default list) }}
{{- $volumes = concat $volumes ($v.extraVolumes | default list) ($role.extraVolumes | default list) }}
{{- $envFrom := concat ($v.extraEnvFrom | default list) ($role.extraEnvFrom | default list) }}
{{- dict "env" $env "envFrom" $envFrom "volumeMounts" $mounts "volumes" $volumes | toYaml }}
{{- end }}

{{/* env entries for the given secret keys (a list), read from the chart's or the existing Secret. */}}
{{- define "hookstream.secretEnv" -}}
{{- $secret := include "hookstream.secretName" .root }}
{{- range .keys }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ . }}
{{- end }}
{{- end }}

{{/* ceil(deliveryTimeoutMs / 1000) + margin: SIGTERM lets in-flight attempts finish, then commits. */}}
{{- define "hookstream.terminationGracePeriodSeconds" -}}
{{- $timeoutSeconds := div (add (int64 .Values.config.deliveryTimeoutMs) 999) 1000 }}
{{- add $timeoutSeconds (int64 .Values.gracefulShutdown.marginSeconds) }}
{{- end }}

{{/* PromQL label matchers selecting this release's series. */}}
{{- define "hookstream.metricSelector" -}}
{{- if .Values.metrics.selector }}
{{- .Values.metrics.selector }}
{{- else }}
{{- printf "namespace=%q,job=%q" .Release.Namespace (printf "%s-metrics" (include "hookstream.fullname" .)) }}
{{- end }}
{{- end }}

{{/*
Metadata every KEDA Kafka trigger adds for kafka.tls / kafka.sasl (KEDA's own names), and
whether the TriggerAuthentication <fullname>-kafka is needed.
*/}}
{{- define "hookstream.kedaKafkaSecurity" -}}
{{- $k := .Values.kafka }}
{{- $meta := dict }}
{{- if $k.tls.enabled }}
{{- $_ := set $meta "tls" "enable" }}
{{- if not $k.tls.rejectUnauthorized }}{{ $_ := set $meta "unsafeSsl" "true" }}{{ end }}
{{- end }}
{{- with $k.sasl.mechanism }}
{{- $_ := set $meta "sasl" (get (dict "plain" "plaintext" "scram-sha-256" "scram_sha256" "scram-sha-512" "scram_sha512") .) }}
{{- end }}
{{- $auth := or $k.sasl.mechanism $k.tls.ca.secretName $k.tls.ca.configMapName $k.tls.clientCert.secretName }}
{{- dict "metadata" $meta "auth" (not (empty $auth)) | toYaml }}
{{- end }}

{{/* ---- roles ------------------------------------------------------------------------------ */}}

{{/*
Every role as YAML ({roles: [...]}), the one place that knows which Deployments exist:
  component  resource-name suffix and app.kubernetes.io/component
  args       arguments to the image's entrypoint (node /app/bin/hookstream.js)
  tier       retry tier name, "" for the other roles
  values     the role's values (tier senders: tierSenders merged with tierSenders.overrides.<tier>)
  secrets    secret keys the role reads
  http       serves the admin API
  scaler     "keda", "hpa" or "" (fixed replicas)
  triggers   KEDA triggers, when scaler is keda
  keda       KEDA replica bounds, when scaler is keda
*/}}
{{- define "hookstream.roles" -}}
{{- $v := .Values }}
{{- $prefix := $v.config.topicPrefix }}
{{- $brokers := join "," $v.config.kafkaBrokers }}
{{- $selector := include "hookstream.metricSelector" . }}
{{- $kafkaSec := include "hookstream.kedaKafkaSecurity" . | fromYaml }}
{{- $authRef := dict }}
{{- if $kafkaSec.auth }}
{{- $authRef = dict "authenticationRef" (dict "name" (include "hookstream.roleName" (dict "root" . "component" "kafka"))) }}
{{- end }}
{{- $roles := list }}

{{- $roles = append $roles (dict "component" "api" "args" (list "api") "tier" "" "values" $v.api
      "secrets" (list "MONGODB_URI" "HOOKSTREAM_ADMIN_API_KEY" "HOOKSTREAM_SECRET_KEY") "http" true
      "triggers" (list)) }}

{{- $routerTriggers := list }}
{{- range $v.config.eventTopics }}
{{- $routerTriggers = append $routerTriggers (merge (dict "type" "kafka" "metadata" (merge (dict
      "bootstrapServers" $brokers "consumerGroup" (printf "%s-router" $prefix) "topic" .
      "lagThreshold" (toString (int64 $v.keda.router.lagThreshold))) $kafkaSec.metadata)) $authRef) }}
{{- end }}
{{- $roles = append $roles (dict "component" "router" "args" (list "router") "tier" "" "values" $v.router
      "secrets" (list "MONGODB_URI") "http" false "triggers" $routerTriggers "keda" $v.keda.router) }}

{{- $roles = append $roles (dict "component" "sender-deliveries" "args" (list "sender" "--tier" "deliveries")
      "tier" "deliveries" "values" $v.senderDeliveries
      "secrets" (list "MONGODB_URI" "HOOKSTREAM_SECRET_KEY") "http" false
      "triggers" (list (merge (dict "type" "kafka" "metadata" (merge (dict
        "bootstrapServers" $brokers "consumerGroup" (printf "%s-sender" $prefix)
        "topic" (printf "%s.deliveries" $prefix)
        "lagThreshold" (toString (int64 $v.keda.senderDeliveries.lagThreshold))) $kafkaSec.metadata)) $authRef))
      "keda" $v.keda.senderDeliveries) }}

{{- if and (or $v.keda.enabled $v.prometheusRule.enabled) (eq (int64 $v.config.lagIntervalMs) 0) }}
{{- fail "config.lagIntervalMs is 0: the roles then export no hookstream_consumer_lag or hookstream_tier_overdue_seconds, which keda and prometheusRule need" }}
{{- end }}
{{- if and $v.keda.enabled (not $v.keda.prometheus.serverAddress) }}
{{- fail "keda.prometheus.serverAddress is required when keda.enabled: the tier senders scale on hookstream_tier_overdue_seconds" }}
{{- end }}
{{- if and $v.keda.enabled (not $v.metrics.serviceMonitor.enabled) (not $v.metrics.selector) }}
{{- fail "keda.enabled: the tier senders scale on hookstream_tier_overdue_seconds, which exists only if Prometheus scrapes the pods. Enable metrics.serviceMonitor, or set metrics.selector to the labels your own scrape gives them" }}
{{- end }}
{{- /* The app refuses tiers that do not increase; say so at install time instead. */}}
{{- $unitMs := dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 "d" 86400000 }}
{{- $previous := dict "name" "" "ms" 0 }}
{{- range $tier := $v.config.retryTiers }}
{{- $ms := mul (regexFind "^[0-9]+" $tier | int64) (get $unitMs (regexReplaceAll "^[0-9]+" $tier "")) }}
{{- if le $ms (get $previous "ms" | int64) }}
{{- fail (printf "config.retryTiers must increase: %q is not longer than %q before it" $tier (get $previous "name")) }}
{{- end }}
{{- $_ := set $previous "name" $tier }}
{{- $_ := set $previous "ms" $ms }}
{{- end }}
{{- $defaults := omit $v.tierSenders "overrides" }}
{{- $slugs := dict }}
{{- range $tier := $v.config.retryTiers }}
{{- $slug := include "hookstream.tierSlug" $tier }}
{{- if hasKey $slugs $slug }}
{{- fail (printf "retry tiers %q and %q both become the resource name sender-%s" (get $slugs $slug) $tier $slug) }}
{{- end }}
{{- $_ := set $slugs $slug $tier }}
{{- $override := get $v.tierSenders.overrides $tier | default dict }}
{{- $values := mergeOverwrite (deepCopy $defaults) (deepCopy $override) }}
{{- /*
The tier's own senders report its overdue time. No series for the tier but series of the release
(hookstream_build_info, exported by every role): the tier runs no pod, i.e. reads 0. No series
at all (nothing scraped): no value, and with ignoreNullValues false KEDA reports the trigger as
failing instead of holding the tier at its minimum.
*/}}
{{- $query := printf "max(hookstream_tier_overdue_seconds{%s,tier=%q}) or on() (0 * max(hookstream_build_info{%s}))" $selector $tier $selector }}
{{- $tierTriggers := list (dict "type" "prometheus" "metadata" (dict
        "serverAddress" $v.keda.prometheus.serverAddress
        "query" $query
        "ignoreNullValues" "false"
        "threshold" (toString (int64 $v.keda.tierSenders.overdueThresholdSeconds)))) }}
{{- if eq (int64 $v.keda.tierSenders.minReplicaCount) 0 }}
{{- /* Wake from zero: any job waiting on the tier's topic activates it (1 replica at most from this trigger). */}}
{{- $tierTriggers = append $tierTriggers (merge (dict "type" "kafka" "metadata" (merge (dict
        "bootstrapServers" $brokers "consumerGroup" (printf "%s-sender-%s" $prefix $tier)
        "topic" (printf "%s.retry.%s" $prefix $tier) "offsetResetPolicy" "earliest"
        "lagThreshold" "1000000000" "activationLagThreshold" "0") $kafkaSec.metadata)) $authRef) }}
{{- end }}
{{- $roles = append $roles (dict "component" (printf "sender-%s" $slug) "args" (list "sender" "--tier" $tier)
      "tier" $tier "values" $values
      "secrets" (list "MONGODB_URI" "HOOKSTREAM_SECRET_KEY") "http" false
      "triggers" $tierTriggers "keda" $v.keda.tierSenders) }}
{{- end }}
{{- range $tier, $_ := $v.tierSenders.overrides }}
{{- if not (has $tier $v.config.retryTiers) }}
{{- fail (printf "tierSenders.overrides.%s names no tier of config.retryTiers (%s)" $tier (join ", " $v.config.retryTiers)) }}
{{- end }}
{{- end }}

{{- range $roles }}
{{- if and $v.keda.enabled .triggers }}
{{- $_ := set . "scaler" "keda" }}
{{- else if .values.autoscaling.enabled }}
{{- $_ := set . "scaler" "hpa" }}
{{- else }}
{{- $_ := set . "scaler" "" }}
{{- end }}
{{- end }}
{{- dict "roles" $roles | toYaml }}
{{- end }}
