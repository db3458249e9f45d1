export * from './dev-keys';
export * from './jwt';
export * from './api-keys';
