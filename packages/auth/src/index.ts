export * from './dev-keys';
export * from './jwt';
