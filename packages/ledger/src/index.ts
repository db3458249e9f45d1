export * from './keys';
export * from './ledger';
