{{/* Names: every object carries the release name, so two releases never collide. */}}
{{- define "petrel.fullname" -}}
{{- if contains "petrel" .Release.Name -}}{{ .Release.Name | trunc 40 | trimSuffix "-" }}{{- else -}}{{ printf "%s-petrel" .Release.Name | trunc 40 | trimSuffix "-" }}{{- end -}}
{{- end -}}
{{- define "petrel.controllerName" -}}{{ include "petrel.fullname" . }}-controller{{- end -}}
{{- define "petrel.nodeName" -}}{{ include "petrel.fullname" . }}-node{{- end -}}
{{- define "petrel.cleanupName" -}}{{ include "petrel.fullname" . }}-cleanup{{- end -}}

{{- define "petrel.labels" -}}
app.kubernetes.io/name: petrel
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "petrel.selector" -}}
app.kubernetes.io/name: petrel
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* image: (dict "root" $ "image" .Values.controller.image): registry/repository:tag, or
@digest instead of :tag when a digest is set (an immutable reference, as operators pin them). */}}
{{- define "petrel.image" -}}
{{- $ref := ternary (printf "@%s" .image.digest) (printf ":%s" (.image.tag | default .root.Chart.AppVersion)) (ne (.image.digest | default "") "") -}}
{{- if .root.Values.image.registry -}}{{ printf "%s/%s%s" .root.Values.image.registry .image.repository $ref }}{{- else -}}{{ printf "%s%s" .image.repository $ref }}{{- end -}}
{{- end -}}


{{/* Pod Security admission: the release namespace's enforce label, when Helm can read it
(`lookup` answers only against a cluster: empty in `helm template`). */}}
{{- define "petrel.podSecurityEnforce" -}}
{{- $ns := lookup "v1" "Namespace" "" .Release.Namespace -}}
{{- if $ns -}}{{ index ($ns.metadata.labels | default dict) "pod-security.kubernetes.io/enforce" | default "unset" }}{{- end -}}
{{- end -}}

{{/* Env for programs that reach the API before Service routing exists. */}}
{{- define "petrel.apiEndpointEnv" -}}
{{- with .Values.kubernetesServiceEndpoint }}
{{- if .host }}
- name: KUBERNETES_SERVICE_HOST
  value: {{ .host | quote }}
- name: KUBERNETES_SERVICE_PORT
  value: {{ .port | default "443" | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "petrel.scrapeAnnotations" -}}
{{- if .root.Values.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}

{{/* gobgpd's API socket (in the node pod's gobgp-api emptyDir, mounted at /run/petrel). */}}
{{- define "petrel.gobgpSocketDir" -}}/run/petrel/gobgp{{- end }}
{{- define "petrel.gobgpSocket" -}}/run/petrel/gobgp/gobgpd.sock{{- end }}
