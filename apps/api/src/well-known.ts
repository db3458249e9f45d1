/**
 * Where the API publishes public keys, without credentials, for anyone to verify offline. Two sets,
 * never merged: a partner checks statements against one and exchange files against the other.
 */

/** the clearing key's JWKS: statements and credit notes */
export const CLEARING_JWKS_PATH = '/.well-known/federa-clearing-jwks.json';
/** the exchange-file key's JWKS: exchange files only (its keys are marked "federa-purpose": "exchange-files") */
export const EXCHANGE_JWKS_PATH = '/.well-known/federa-exchange-jwks.json';
