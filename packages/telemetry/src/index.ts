export * from './metrics/catalogue';
export * from './metrics/buckets';
export * from './metrics/registry';
export * from './metrics/server';
export * from './config';
export * from './temporal/bridge';
export * from './temporal/runtime';
