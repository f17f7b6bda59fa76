export * from './availability.js';
export * from './chunk.js';
export * from './kafkajs.js';
export * from './memory.js';
export * from './security.js';
export * from './types.js';
export * from './warnings.js';
