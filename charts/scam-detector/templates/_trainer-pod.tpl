{{/* The training pod, shared by the install-time Job and the CronJob template that `make retrain` runs. */}}
{{- define "scam-detector.trainerPodTemplate" -}}
metadata:
  labels:
    {{- include "scam-detector.componentLabels" (dict "root" . "component" "trainer") | nindent 4 }}
spec:
  serviceAccountName: {{ include "scam-detector.serviceAccountName" (dict "root" . "component" "trainer") }}
  restartPolicy: OnFailure
  securityContext:
    {{- include "scam-detector.podSecurityContext" . | nindent 4 }}
  {{- with .Values.image.pullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: trainer
      image: {{ include "scam-detector.image" (dict "root" . "component" "trainer") | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - train
        {{- if eq .Values.trainer.model "prototype" }}
        - --prototype
        - --samples
        - {{ .Values.trainer.samples | int64 | quote }}
        {{- end }}
        - --seed
        - {{ .Values.trainer.seed | int64 | quote }}
        - --out
        - /tmp/model.json
        - --configmap
        - {{ include "scam-detector.modelConfigMap" . | quote }}
      env:
        - name: KUBE_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        - name: LOG_LEVEL
          value: {{ .Values.logLevel | quote }}
      securityContext:
        {{- include "scam-detector.containerSecurityContext" . | nindent 8 }}
      resources:
        {{- toYaml .Values.trainer.resources | nindent 8 }}
      volumeMounts:
        {{- include "scam-detector.tmpMount" . | nindent 8 }}
  volumes:
    {{- include "scam-detector.tmpVolume" . | nindent 4 }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
