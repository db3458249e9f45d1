export * from './merkle';
export * from './money';
export * from './statement';
