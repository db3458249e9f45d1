export * from './admission';
export * from './audit';
export * from './context';
export * from './root';
export * from './server';
