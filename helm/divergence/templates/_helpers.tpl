{{/* The chart's name. */}}
{{- define "divergence.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* "<release>-<chart>" unless the release name holds the chart name already. */}}
{{- define "divergence.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The four services behind the gateway, in the runtime picture's order. */}}
{{- define "divergence.backends" -}}
training inference evaluation merging
{{- end -}}

{{/* Labels of every resource; call with (dict "root" $ "component" "<name>"). */}}
{{- define "divergence.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "divergence.selectorLabels" . }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component. */}}
{{- define "divergence.selectorLabels" -}}
app.kubernetes.io/name: {{ include "divergence.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: divergence
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{/* Name of one component's resources. */}}
{{- define "divergence.componentName" -}}
{{- printf "%s-%s" (include "divergence.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The image of a service. */}}
{{- define "divergence.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- if .root.Values.image.registry -}}
{{- printf "%s/%s/%s:%s" .root.Values.image.registry .root.Values.image.repositoryPrefix .component $tag -}}
{{- else -}}
{{- printf "%s/%s:%s" .root.Values.image.repositoryPrefix .component $tag -}}
{{- end -}}
{{- end -}}

{{/* The identity Secret's name. */}}
{{- define "divergence.identitySecret" -}}
{{- required "identity.existingSecret is required" .Values.identity.existingSecret -}}
{{- end -}}

{{/* The data volume's claim. */}}
{{- define "divergence.dataClaim" -}}
{{- default (printf "%s-data" (include "divergence.fullname" .)) .Values.dataVolume.existingClaim -}}
{{- end -}}

{{/* The JDBC URL of PostgreSQL. */}}
{{- define "divergence.jdbcUrl" -}}
{{- if .Values.postgresql.url -}}
{{- .Values.postgresql.url -}}
{{- else -}}
{{- printf "jdbc:postgresql://%s:%v/%s" (required "postgresql.host is required (or postgresql.url)" .Values.postgresql.host) .Values.postgresql.port .Values.postgresql.database -}}
{{- end -}}
{{- end -}}

{{/* The training service's ServiceAccount (the runner's). */}}
{{- define "divergence.trainingServiceAccount" -}}
{{- printf "%s-training" (include "divergence.fullname" .) -}}
{{- end -}}

{{/* The worker Jobs' ServiceAccount (no Kubernetes permissions, token not mounted). */}}
{{- define "divergence.workerServiceAccount" -}}
{{- printf "%s-training-worker" (include "divergence.fullname" .) -}}
{{- end -}}

{{/* Whether a service is scaled by KEDA instead of an HPA. */}}
{{- define "divergence.kedaScaled" -}}
{{- if and .root.Values.keda.enabled (hasKey (index .root.Values .component) "keda") -}}true{{- end -}}
{{- end -}}

{{/* Rules between values that a schema cannot state. */}}
{{- define "divergence.validate" -}}
{{- range $component := list "gateway" "inference" "evaluation" "merging" -}}
{{- $scaling := (index $.Values $component).autoscaling -}}
{{- if gt (int $scaling.minReplicas) (int $scaling.maxReplicas) -}}
{{- fail (printf "%s.autoscaling.minReplicas (%v) must not exceed %s.autoscaling.maxReplicas (%v)" $component $scaling.minReplicas $component $scaling.maxReplicas) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.gpu.enabled (not .Values.triton.enabled) -}}
{{- fail "gpu.enabled requires triton.enabled: the GPUs are Triton's (the inference service itself runs no GPU code)" -}}
{{- end -}}
{{- if and (eq .Values.training.runner "kubernetes") (ne .Values.postgresql.passwordKey "SPRING_DATASOURCE_PASSWORD") -}}
{{- fail "postgresql.passwordKey must be SPRING_DATASOURCE_PASSWORD with training.runner=kubernetes: the worker Jobs take the Secret's keys as environment variables (docs/kubernetes-runner.md)" -}}
{{- end -}}
{{- end -}}

{{- define "divergence.np.external" -}}
{{- /* an egress rule to outside the chart: (dict "peers" list "ports" list "protocols" list) */ -}}
- ports:
  {{- range $port := .ports }}
  {{- range $protocol := $.protocols }}
    - {port: {{ $port }}, protocol: {{ $protocol }}}
  {{- end }}
  {{- end }}
  {{- with .peers }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- define "divergence.np.pod" -}}
- podSelector:
    matchLabels:
      {{- include "divergence.selectorLabels" . | nindent 6 }}
{{- end -}}
