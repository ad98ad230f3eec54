// ccxt itself is loaded only by the signer (and later the public market-data feeds), never by the api at start.
export { createCcxtClient, redirectEndpoints, adoptPublicState, productionUrl, restoreProductionErrorMapping, type CcxtClientOptions, type UrlRewrites } from './ccxt-client.js'
export { withVenueCredentials, type VenueCredentials } from './credentials.js'
export { enableTestEnvironment, guardedSetSandboxMode } from './sandbox.js'
export { mapCcxtError } from './error-map.js'
