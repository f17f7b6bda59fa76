export * from './feed.js';
export * from './replay.js';
export * from './start.js';
export * from './transport-feed.js';
