export * from './commands.js';
export * from './cross-validation.js';
export * from './evaluate.js';
export * from './evaluate-world.js';
export * from './report.js';
export * from './train.js';
export * from './train-behaviour.js';
