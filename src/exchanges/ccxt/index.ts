// ccxt itself is loaded only by the signer (and later the public market-data feeds), never by the api at start.
export { createCcxtClient, redirectEndpoints, type CcxtClientOptions } from './ccxt-client.js'
export { mapCcxtError } from './error-map.js'
