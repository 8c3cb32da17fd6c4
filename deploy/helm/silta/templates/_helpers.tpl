{{/* Names and labels. */}}
{{- define "silta.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "silta.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "silta.labels" -}}
{{ include "silta.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* Marks the Services of the operations ports, which the ServiceMonitor selects. */}}
{{- define "silta.operationsLabel" -}}
silta/port: operations
{{- end -}}

{{- define "silta.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Where mounted secrets appear: one projected volume per pod. */}}
{{- define "silta.secretsDir" -}}/var/run/secrets/silta{{- end -}}

{{- define "silta.usesSasl" -}}{{ hasPrefix "SASL_" .Values.kafka.securityProtocol }}{{- end -}}
{{- define "silta.usesTls" -}}{{ has .Values.kafka.securityProtocol (list "SSL" "SASL_SSL") }}{{- end -}}

{{/* Kafka settings of one principal; dict root, principal. */}}
{{- define "silta.kafkaEnv" -}}
{{- $v := .root.Values -}}
- name: SILTA_KAFKA_BOOTSTRAP
  value: {{ $v.kafka.bootstrap | quote }}
- name: SILTA_KAFKA_SECURITY_PROTOCOL
  value: {{ $v.kafka.securityProtocol | quote }}
{{- if eq (include "silta.usesSasl" .root) "true" }}
- name: SILTA_KAFKA_SASL_MECHANISM
  value: {{ $v.kafka.saslMechanism | quote }}
- name: SILTA_KAFKA_SASL_USERNAME
  value: {{ .principal | quote }}
- name: SILTA_KAFKA_SASL_PASSWORD_FILE
  value: {{ include "silta.secretsDir" . }}/kafka-password
{{- end }}
{{- if eq (include "silta.usesTls" .root) "true" }}
{{- if $v.kafka.caSecret }}
- name: SILTA_KAFKA_SSL_CAFILE
  value: {{ include "silta.secretsDir" . }}/kafka-ca.pem
{{- end }}
- name: SILTA_KAFKA_SSL_CHECK_HOSTNAME
  value: {{ $v.kafka.checkHostname | quote }}
{{- end }}
{{- end -}}

{{/* Projected sources for the Kafka secrets of one principal; dict root, principal. */}}
{{- define "silta.kafkaSecretSources" -}}
{{- $v := .root.Values -}}
{{- if eq (include "silta.usesSasl" .root) "true" }}
- secret:
    name: {{ $v.kafka.credentialsSecret }}
    items:
      - {key: {{ .principal | quote }}, path: kafka-password}
{{- end }}
{{- if and (eq (include "silta.usesTls" .root) "true") $v.kafka.caSecret }}
- secret:
    name: {{ $v.kafka.caSecret }}
    items:
      - {key: {{ $v.kafka.caKey | quote }}, path: kafka-ca.pem}
{{- end }}
{{- end -}}

{{/* Every Secret file one service mounts; dict root, svc. Empty: no secrets volume. */}}
{{- define "silta.serviceSecretSources" -}}
{{- $v := .root.Values -}}
{{- if .svc.kafkaPrincipal }}
{{- include "silta.kafkaSecretSources" (dict "root" .root "principal" .svc.kafkaPrincipal) }}
{{- end }}
{{- if .svc.pseudonymKey }}
- secret:
    name: {{ $v.pseudonymKey.secret }}
    items:
      - {key: {{ $v.pseudonymKey.key | quote }}, path: pseudonym-key}
{{- end }}
{{- if .svc.store }}
- secret:
    name: {{ $v.store.secret }}
    items:
      - {key: {{ $v.store.key | quote }}, path: store-url}
{{- end }}
{{- range .svc.secretFiles }}
- secret:
    name: {{ .secret }}
    items:
      - {key: {{ .key | quote }}, path: {{ .secret }}-{{ .key }}}
{{- end }}
{{- end -}}

{{- define "silta.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "silta.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
{{- end -}}

{{/* The topics file from a ConfigMap (when .Values.topicsConfigMap): env, mount, volume. */}}
{{- define "silta.topicsEnv" -}}
- name: SILTA_TOPICS_FILE
  value: /etc/silta/topics.yaml
{{- end -}}

{{- define "silta.topicsMount" -}}
- {name: topics, mountPath: /etc/silta, readOnly: true}
{{- end -}}

{{- define "silta.topicsVolume" -}}
- name: topics
  configMap:
    name: {{ .Values.topicsConfigMap }}
    items:
      - {key: topics.yaml, path: topics.yaml}
{{- end -}}
