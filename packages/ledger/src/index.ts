export * from './durability';
export * from './hold-extension';
export * from './key-ledger';
export * from './keys';
export * from './ledger';
export * from './periods';
export * from './observer';
export * from './pending-summary';
