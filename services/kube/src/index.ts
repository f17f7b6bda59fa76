export * from './configmap-model-source.js';
export * from './configmap-watch.js';
export * from './kube.js';
export * from './model-configmap.js';
