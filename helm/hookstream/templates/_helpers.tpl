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
KAFKA_BROKERS: {{ join "," $c.kafkaBrokers | quote }}
SCHEMA_REGISTRY_URL: {{ $c.schemaRegistryUrl | quote }}
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
HOOKSTREAM_TOPIC_PARTITIONS: {{ $c.topicPartitions | int64 | quote }}
HOOKSTREAM_TOPIC_REPLICATION: {{ $c.topicReplication | int64 | quote }}
HOOKSTREAM_API_PORT: {{ $c.apiPort | int64 | quote }}
HOOKSTREAM_API_HOST: {{ $c.apiHost | quote }}
HOOKSTREAM_METRICS_PORT: {{ $c.metricsPort | int64 | quote }}
HOOKSTREAM_ALLOW_HTTP: {{ $c.allowHttp | toString | quote }}
HOOKSTREAM_ALLOW_PRIVATE_TARGETS: {{ $c.allowPrivateTargets | toString | quote }}
LOG_LEVEL: {{ $c.logLevel | quote }}
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
{{- $roles := list }}

{{- $roles = append $roles (dict "component" "api" "args" (list "api") "tier" "" "values" $v.api
      "secrets" (list "MONGODB_URI" "HOOKSTREAM_ADMIN_API_KEY" "HOOKSTREAM_SECRET_KEY") "http" true
      "triggers" (list)) }}

{{- $routerTriggers := list }}
{{- range $v.config.eventTopics }}
{{- $routerTriggers = append $routerTriggers (dict "type" "kafka" "metadata" (dict
      "bootstrapServers" $brokers "consumerGroup" (printf "%s-router" $prefix) "topic" .
      "lagThreshold" (toString (int64 $v.keda.router.lagThreshold)))) }}
{{- end }}
{{- $roles = append $roles (dict "component" "router" "args" (list "router") "tier" "" "values" $v.router
      "secrets" (list "MONGODB_URI") "http" false "triggers" $routerTriggers "keda" $v.keda.router) }}

{{- $roles = append $roles (dict "component" "sender-deliveries" "args" (list "sender" "--tier" "deliveries")
      "tier" "deliveries" "values" $v.senderDeliveries
      "secrets" (list "MONGODB_URI" "HOOKSTREAM_SECRET_KEY") "http" false
      "triggers" (list (dict "type" "kafka" "metadata" (dict
        "bootstrapServers" $brokers "consumerGroup" (printf "%s-sender" $prefix)
        "topic" (printf "%s.deliveries" $prefix)
        "lagThreshold" (toString (int64 $v.keda.senderDeliveries.lagThreshold)))))
      "keda" $v.keda.senderDeliveries) }}

{{- if and (or $v.keda.enabled $v.prometheusRule.enabled) (eq (int64 $v.config.lagIntervalMs) 0) }}
{{- fail "config.lagIntervalMs is 0: the router then exports no hookstream_consumer_lag or hookstream_tier_overdue_seconds, which keda and prometheusRule need" }}
{{- end }}
{{- if and $v.keda.enabled (not $v.keda.prometheus.serverAddress) }}
{{- fail "keda.prometheus.serverAddress is required when keda.enabled: the tier senders scale on hookstream_tier_overdue_seconds" }}
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
{{- $query := printf "max(hookstream_tier_overdue_seconds{%s,tier=%q}) or vector(0)" $selector $tier }}
{{- $roles = append $roles (dict "component" (printf "sender-%s" $slug) "args" (list "sender" "--tier" $tier)
      "tier" $tier "values" $values
      "secrets" (list "MONGODB_URI" "HOOKSTREAM_SECRET_KEY") "http" false
      "triggers" (list (dict "type" "prometheus" "metadata" (dict
        "serverAddress" $v.keda.prometheus.serverAddress
        "query" $query
        "threshold" (toString (int64 $v.keda.tierSenders.overdueThresholdSeconds)))))
      "keda" $v.keda.tierSenders) }}
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
