{{/* Names */}}
{{- define "federa.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "federa.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels: (dict "root" $ "component" "api") */}}
{{- define "federa.selectorLabels" -}}
app.kubernetes.io/name: {{ include "federa.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "federa.labels" -}}
{{ include "federa.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: federa
{{- end -}}

{{- define "federa.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Security: every pod non-root, every container read-only with no capabilities */}}
{{- define "federa.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurity.runAsUser }}
runAsGroup: {{ .Values.podSecurity.runAsGroup }}
fsGroup: {{ .Values.podSecurity.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "federa.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
{{- end -}}

{{- define "federa.topologyConfigMap" -}}
{{- default (printf "%s-topology" (include "federa.fullname" .)) .Values.federation.existingTopologyConfigMap -}}
{{- end -}}

{{/*
Environment every process reads (packages/domain env.ts and temporal-env.ts, telemetry config.ts).
(dict "root" $ "tlsSecret" "<component override>" "metricsPort" 9464)
*/}}
{{- define "federa.commonEnv" -}}
{{- $v := .root.Values -}}
- name: FEDERA_ENV
  value: {{ $v.environment | quote }}
- name: TEMPORAL_ADDRESS
  value: {{ $v.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ $v.temporal.namespace | quote }}
{{- if $v.temporal.tls.enabled }}
- name: TEMPORAL_TLS_CERT_FILE
  value: /etc/federa/temporal-tls/tls.crt
- name: TEMPORAL_TLS_KEY_FILE
  value: /etc/federa/temporal-tls/tls.key
{{- if $v.temporal.tls.ca }}
- name: TEMPORAL_TLS_CA_FILE
  value: /etc/federa/temporal-tls/ca.crt
{{- end }}
{{- with $v.temporal.tls.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- end }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.redis.existingSecret }}
      key: {{ $v.redis.secretKey }}
# ledger writes are acknowledged only once on this many replicas (docs/stack.md, durability)
- name: FEDERA_REDIS_WAIT_REPLICAS
  value: {{ $v.redis.waitReplicas | int | quote }}
- name: FEDERA_REDIS_WAIT_TIMEOUT_MS
  value: {{ $v.redis.waitTimeoutMs | int | quote }}
- name: FEDERA_TOPOLOGY
  value: /etc/federa/topology/topology.json
- name: FEDERA_REGISTRY_NAMESPACE
  value: {{ $v.federation.registryNamespace | quote }}
- name: FEDERA_BILLING_PERIOD
  value: {{ $v.federation.billingPeriod | quote }}
- name: FEDERA_SETTLEMENT_CURRENCY
  value: {{ $v.federation.settlementCurrency | quote }}
- name: FEDERA_SETTLEMENT_PERIOD_MS
  value: {{ $v.federation.settlementPeriodMs | int64 | quote }}
- name: FEDERA_SETTLEMENT_GRACE_MS
  value: {{ $v.federation.settlementGraceMs | int64 | quote }}
- name: FEDERA_HOLD_REPLAY_WINDOW_MS
  value: {{ $v.federation.holdReplayWindowMs | int64 | quote }}
{{- if $v.federation.usageArchive.enabled }}
- name: FEDERA_USAGE_ARCHIVE_DIR
  value: /var/lib/federa/usage-archive
- name: FEDERA_USAGE_ARCHIVE_AFTER_MS
  value: {{ $v.federation.usageArchive.afterMs | int64 | quote }}
{{- else }}
- name: FEDERA_USAGE_ARCHIVE_DIR
  value: ""
{{- end }}
{{- with $v.federation.controlTaskQueue }}
- name: FEDERA_CONTROL_TASK_QUEUE
  value: {{ . | quote }}
{{- end }}
- name: LOG_LEVEL
  value: {{ $v.logLevel | quote }}
{{- if $v.metrics.enabled }}
- name: FEDERA_METRICS_HOST
  value: "0.0.0.0"
- name: FEDERA_METRICS_PORT
  value: {{ .metricsPort | quote }}
- name: FEDERA_METRICS_MAX_TENANTS
  value: {{ $v.metrics.maxTenants | quote }}
- name: FEDERA_METRICS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $v.metrics.tokenSecret }}
      key: {{ $v.metrics.tokenKey }}
{{- else }}
- name: FEDERA_METRICS_PORT
  value: "off"
{{- end }}
{{- with $v.tracing.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* Volumes every pod mounts: (dict "root" $ "tlsSecret" "…") */}}
{{- define "federa.commonVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
- name: topology
  configMap:
    name: {{ include "federa.topologyConfigMap" .root }}
{{- if .root.Values.temporal.tls.enabled }}
- name: temporal-tls
  secret:
    secretName: {{ default .root.Values.temporal.tls.secretName .tlsSecret }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{- define "federa.commonMounts" -}}
- name: tmp
  mountPath: /tmp
- name: topology
  mountPath: /etc/federa/topology
  readOnly: true
{{- if .Values.temporal.tls.enabled }}
- name: temporal-tls
  mountPath: /etc/federa/temporal-tls
  readOnly: true
{{- end }}
{{- end -}}

{{/* NetworkPolicy egress peers: DNS, Temporal, Redis (every Federa process needs all three) */}}
{{- define "federa.egressCore" -}}
{{- $v := .Values -}}
- to:
    - namespaceSelector: {{- toYaml $v.networkPolicy.dns.namespaceSelector | nindent 8 }}
      podSelector: {{- toYaml $v.networkPolicy.dns.podSelector | nindent 8 }}
  ports:
    - { protocol: UDP, port: 53 }
    - { protocol: TCP, port: 53 }
- to:
{{- if eq $v.temporal.target "helm-chart" }}
    - namespaceSelector: {{- toYaml $v.temporal.network.namespaceSelector | nindent 8 }}
      podSelector: {{- toYaml $v.temporal.network.podSelector | nindent 8 }}
{{- end }}
{{- range $v.temporal.network.cidrs }}
    - ipBlock:
        cidr: {{ . }}
{{- end }}
{{- if and (ne $v.temporal.target "helm-chart") (not $v.temporal.network.cidrs) }}
    {{- /* Temporal Cloud without PrivateLink has no fixed addresses: its port, anywhere */}}
    - ipBlock:
        cidr: 0.0.0.0/0
{{- end }}
  ports:
    - { protocol: TCP, port: {{ $v.temporal.network.port }} }
{{- $redisPods := index $v.redis.network "podSelector" }}
{{- if not (or $redisPods $v.redis.network.cidrs) }}
{{- fail "redis.network: set podSelector (Redis in this cluster) or cidrs, so that NetworkPolicies can name it" }}
{{- end }}
- to:
{{- if $redisPods }}
    - namespaceSelector: {{- toYaml (index $v.redis.network "namespaceSelector" | default dict) | nindent 8 }}
      podSelector: {{- toYaml $redisPods | nindent 8 }}
{{- end }}
{{- range $v.redis.network.cidrs }}
    - ipBlock:
        cidr: {{ . }}
{{- end }}
  ports:
{{- range $v.redis.network.ports }}
    - { protocol: TCP, port: {{ . }} }
{{- end }}
{{- if and $v.tracing.otlpEndpoint $v.tracing.cidrs }}
- to:
{{- range $v.tracing.cidrs }}
    - ipBlock:
        cidr: {{ . }}
{{- end }}
  ports:
    - { protocol: TCP, port: {{ $v.tracing.port }} }
{{- end }}
{{- end -}}

{{/* NetworkPolicy ingress: Prometheus to the metrics port */}}
{{- define "federa.ingressMetrics" -}}
{{- if .root.Values.metrics.enabled -}}
- from:
    - namespaceSelector: {{- toYaml .root.Values.metrics.scraperNamespaceSelector | nindent 8 }}
      podSelector: {{- toYaml .root.Values.metrics.scraperPodSelector | nindent 8 }}
  ports:
    - { protocol: TCP, port: {{ .port }} }
{{- end }}
{{- end -}}
