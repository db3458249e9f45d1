export * from './provider';
export * from './temporal';
export * from './propagation';
export * from './spans';
export * from './log-mixin';
