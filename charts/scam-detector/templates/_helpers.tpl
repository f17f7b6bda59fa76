{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "scam-detector.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: the release name, plus the chart name unless the release already holds it. */}}
{{- define "scam-detector.fullname" -}}
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

{{- define "scam-detector.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "scam-detector.labels" -}}
helm.sh/chart: {{ include "scam-detector.chart" . }}
{{ include "scam-detector.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: scam-detector
{{- end }}

{{/* Only name and instance select; add the component where one is meant. */}}
{{- define "scam-detector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scam-detector.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels and selector labels for one component: call with (dict "root" $ "component" "processor"). */}}
{{- define "scam-detector.componentLabels" -}}
{{ include "scam-detector.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "scam-detector.componentSelectorLabels" -}}
{{ include "scam-detector.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "scam-detector.componentName" -}}
{{- printf "%s-%s" (include "scam-detector.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The ServiceAccount of a component. */}}
{{- define "scam-detector.serviceAccountName" -}}
{{ include "scam-detector.componentName" . }}
{{- end }}

{{/* Image reference of a component; the tag defaults to the chart's appVersion, never "latest". */}}
{{- define "scam-detector.image" -}}
{{- $image := .root.Values.image -}}
{{- $tag := default .root.Chart.AppVersion $image.tag -}}
{{- if eq (toString $tag) "latest" }}{{ fail "image.tag \"latest\" is not allowed: pin a version" }}{{ end -}}
{{- $repository := printf "%s-%s" $image.repositoryPrefix .component -}}
{{- if $image.registry }}{{ printf "%s/%s:%s" $image.registry $repository $tag }}{{ else }}{{ printf "%s:%s" $repository $tag }}{{ end -}}
{{- end }}

{{/* Name of the Strimzi Kafka cluster the chart creates. */}}
{{- define "scam-detector.kafkaClusterName" -}}
{{- default (printf "%s-kafka" (include "scam-detector.fullname" .)) .Values.kafka.strimzi.clusterName | trunc 40 | trimSuffix "-" }}
{{- end }}

{{/* Bootstrap address: the Strimzi cluster's internal plain listener, or the existing Kafka given in values. */}}
{{- define "scam-detector.kafkaBootstrap" -}}
{{- if .Values.kafka.strimzi.enabled }}
{{- printf "%s-kafka-bootstrap.%s.svc:%d" (include "scam-detector.kafkaClusterName" .) .Release.Namespace (include "scam-detector.kafkaPort" . | int) }}
{{- else }}
{{- required "kafka.external.bootstrapServers is required when kafka.strimzi.enabled is false" .Values.kafka.external.bootstrapServers }}
{{- end }}
{{- end }}

{{- define "scam-detector.modelConfigMap" -}}
{{- default (printf "%s-model" (include "scam-detector.fullname" .)) .Values.model.configMapName | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Restricted Pod Security: the pod part. */}}
{{- define "scam-detector.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsUser }}
fsGroup: {{ .Values.securityContext.runAsUser }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Restricted Pod Security: the container part. */}}
{{- define "scam-detector.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Environment shared by the services that talk to Kafka. */}}
{{- define "scam-detector.kafkaEnv" -}}
- name: KAFKA_BROKERS
  value: {{ include "scam-detector.kafkaBootstrap" . | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end }}

{{/* The writable /tmp every pod gets, since the root filesystem is read-only. */}}
{{- define "scam-detector.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}

{{- define "scam-detector.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Port of the Strimzi listener the services use: 9093 (TLS, authenticated) with kafka.security, else 9092. */}}
{{- define "scam-detector.kafkaPort" -}}
{{- if .Values.kafka.security.enabled }}9093{{ else }}9092{{ end }}
{{- end }}

{{/* Name of a component's KafkaUser (and of the Secret the User Operator makes for it). */}}
{{- define "scam-detector.kafkaUserName" -}}
{{- printf "%s-%s" (include "scam-detector.kafkaClusterName" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Secret with a component's Kafka credentials: its KafkaUser's, or the one given for an existing Kafka. */}}
{{- define "scam-detector.kafkaUserSecret" -}}
{{- if .root.Values.kafka.strimzi.enabled }}
{{- include "scam-detector.kafkaUserName" . }}
{{- else }}
{{- $user := index .root.Values.kafka.external.users .component }}
{{- required (printf "kafka.external.users.%s.secret is required with kafka.security.enabled" .component) $user.secret }}
{{- end }}
{{- end }}

{{/* A component's SASL user name: its KafkaUser's name, or the given one (default: the Secret's name). */}}
{{- define "scam-detector.kafkaUsername" -}}
{{- if .root.Values.kafka.strimzi.enabled }}
{{- include "scam-detector.kafkaUserName" . }}
{{- else }}
{{- $user := index .root.Values.kafka.external.users .component }}
{{- default (include "scam-detector.kafkaUserSecret" .) $user.username }}
{{- end }}
{{- end }}

{{/* The Secret with the brokers' CA certificate (key ca.crt): Strimzi's cluster CA, or the given one. */}}
{{- define "scam-detector.kafkaCaSecret" -}}
{{- if .Values.kafka.strimzi.enabled }}
{{- printf "%s-cluster-ca-cert" (include "scam-detector.kafkaClusterName" .) }}
{{- else }}
{{- required "kafka.external.caSecret is required with kafka.security.enabled" .Values.kafka.external.caSecret }}
{{- end }}
{{- end }}

{{/* Environment of a secured Kafka connection (dict root, component); nothing without kafka.security. Files only:
     the password and the key are never in the environment. */}}
{{- define "scam-detector.kafkaSecurityEnv" -}}
{{- $sec := .root.Values.kafka.security }}
{{- if $sec.enabled }}
- name: KAFKA_SECURITY_PROTOCOL
  value: {{ ternary "SSL" "SASL_SSL" (eq $sec.authentication "tls") | quote }}
- name: KAFKA_SSL_CA_FILE
  value: /etc/kafka/ca/ca.crt
{{- if eq $sec.authentication "tls" }}
- name: KAFKA_SSL_CERT_FILE
  value: /etc/kafka/user/user.crt
- name: KAFKA_SSL_KEY_FILE
  value: /etc/kafka/user/user.key
{{- else }}
- name: KAFKA_SASL_MECHANISM
  value: scram-sha-512
- name: KAFKA_SASL_USERNAME
  value: {{ include "scam-detector.kafkaUsername" . | quote }}
- name: KAFKA_SASL_PASSWORD_FILE
  value: /etc/kafka/user/password
{{- end }}
{{- end }}
{{- end }}

{{/* Volumes of a secured Kafka connection (dict root, component): this component's own user Secret and the CA. */}}
{{- define "scam-detector.kafkaSecurityVolumes" -}}
{{- if .root.Values.kafka.security.enabled }}
- name: kafka-ca
  secret:
    secretName: {{ include "scam-detector.kafkaCaSecret" .root }}
    items: [{ key: ca.crt, path: ca.crt }]
    defaultMode: 0440
- name: kafka-user
  secret:
    secretName: {{ include "scam-detector.kafkaUserSecret" . }}
    {{- if eq .root.Values.kafka.security.authentication "tls" }}
    items: [{ key: user.crt, path: user.crt }, { key: user.key, path: user.key }]
    {{- else }}
    items: [{ key: password, path: password }]
    {{- end }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{- define "scam-detector.kafkaSecurityMounts" -}}
{{- if .root.Values.kafka.security.enabled }}
- name: kafka-ca
  mountPath: /etc/kafka/ca
  readOnly: true
- name: kafka-user
  mountPath: /etc/kafka/user
  readOnly: true
{{- end }}
{{- end }}

{{/* The processors' caller-state changelog topic: processor.state.changelogTopic, or <consumerGroup>-caller-state-changelog
     (the processor's own default for CHANGELOG_TOPIC). */}}
{{- define "scam-detector.changelogTopic" -}}
{{- $topic := default (printf "%s-caller-state-changelog" .Values.processor.consumerGroup) .Values.processor.state.changelogTopic }}
{{- if not (regexMatch "^[a-zA-Z0-9._-]{1,249}$" $topic) }}
{{- fail (printf "the caller-state changelog topic %q is not a valid Kafka topic name: set processor.state.changelogTopic, or a processor.consumerGroup of letters, digits, '.', '_' and '-'" $topic) }}
{{- end }}
{{- $topic }}
{{- end }}

{{/* The processors' workload: a StatefulSet when each replica gets its own PersistentVolumeClaim for the caller-state
     store (only a StatefulSet has per-replica claims), a Deployment otherwise. */}}
{{- define "scam-detector.processorKind" -}}
{{- $state := .Values.processor.state }}
{{- if and (eq $state.mode "durable") (eq $state.storage.type "persistentVolumeClaim") }}StatefulSet{{ else }}Deployment{{ end }}
{{- end }}

{{/* Where the processor's caller-state store is mounted (STATE_DIR). */}}
{{- define "scam-detector.stateDir" -}}
/var/lib/scam-detector/state
{{- end }}

{{/* The name of a KafkaTopic object for a topic name (Kubernetes names take no "_" and no capitals). */}}
{{- define "scam-detector.kafkaTopicObjectName" -}}
{{- printf "%s-%s" (include "scam-detector.fullname" .root) (.topic | replace "_" "-" | lower) | trunc 63 | trimSuffix "-" | trimSuffix "." }}
{{- end }}
