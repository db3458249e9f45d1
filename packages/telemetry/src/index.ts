export * from './metrics/catalogue';
export * from './metrics/buckets';
export * from './metrics/registry';
export * from './metrics/server';
export * from './config';
export * from './observers/ledger-observer';
export * from './observers/routing-observer';
