export * from './config.js';
export * from './pacing.js';
export * from './producer.js';
export * from './profiles.js';
export * from './world-stream.js';
