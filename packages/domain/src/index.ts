export * from './api-schemas';
export * from './errors';
export * from './geo';
export * from './jurisdictions';
export * from './money';
export * from './routing';
export * from './topology';
export * from './env';
