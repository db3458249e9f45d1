export * from './workers';
export * from './agent-assignment';
export * from './site-agents';
