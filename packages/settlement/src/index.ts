export * from './merkle';
export * from './money';
export * from './statement';
export * from './engine';
export * from './signing';
export * from './store';
export * from './keys';
