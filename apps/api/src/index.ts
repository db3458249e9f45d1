export * from './admission';
export * from './audit';
export * from './context';
export * from './root';
export * from './server';
export * from './dataplane';
export type {
  ChatOutcome,
  ChatServeRequest,
  ChatStream,
  DataPlane,
  EmbeddingsResult,
  EmbeddingsServeRequest,
} from './dataplane/types';
