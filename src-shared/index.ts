export * from './errors.js';
export * from './model.js';
export * from './schemas.js';
export * from './contract.js';
