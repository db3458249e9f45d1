export * from './context';
export * from './root';
export * from './server';
