/** API keys: format and hashing, the Redis store, the cached authenticator and a key's scope. */
export * from './authenticator';
export * from './format';
export * from './scope';
export * from './store';
