// ccxt itself is loaded only by the signer (and later the public market-data feeds), never by the api at start.
export { createCcxtClient, redirectEndpoints, adoptPublicState, type CcxtClientOptions } from './ccxt-client.js'
export { withVenueCredentials, type VenueCredentials } from './credentials.js'
export { enableTestEnvironment, guardedSetSandboxMode } from './sandbox.js'
export { mapCcxtError } from './error-map.js'
