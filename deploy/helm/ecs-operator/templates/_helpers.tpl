{{/* Names and labels shared by every template. Selectors use app.kubernetes.io/name only, as
deploy/ does, so the two installs select the same pods. */}}

{{- define "ecs-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ecs-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* ecs-operator -> ecs-api, prod-ecs-operator -> prod-ecs-api, as deploy/ecs-api.yaml names it. */}}
{{- define "ecs-operator.apiName" -}}
{{- printf "%s-api" (include "ecs-operator.fullname" . | trimSuffix "-operator") | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ecs-operator.serviceAccountName" -}}
{{- default (include "ecs-operator.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "ecs-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Labels only Helm adds; the chart-vs-kustomize test ignores exactly these. */}}
{{- define "ecs-operator.helmLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ default .Chart.AppVersion .Values.image.tag | quote }}
{{- end -}}

{{- define "ecs-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecs-operator.name" . }}
{{- end -}}

{{- define "ecs-operator.labels" -}}
{{ include "ecs-operator.selectorLabels" . }}
{{ include "ecs-operator.helmLabels" . }}
{{- end -}}

{{- define "ecs-operator.apiSelectorLabels" -}}
app.kubernetes.io/name: {{ include "ecs-operator.apiName" . }}
{{- end -}}

{{- define "ecs-operator.apiLabels" -}}
{{ include "ecs-operator.apiSelectorLabels" . }}
{{ include "ecs-operator.helmLabels" . }}
{{- end -}}

{{/* The pod security settings deploy/ uses: the restricted Pod Security profile. */}}
{{- define "ecs-operator.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "ecs-operator.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}
