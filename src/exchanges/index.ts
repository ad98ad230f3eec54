export { venueCalls, venueMethods, type VenueMethod, type VenueArgs, type OrderView, type BalanceView } from './venue-types.js'
export { checkEndpoint, denyPattern, endpointAllowlists, type EndpointVerdict, type EndpointRule } from './endpoint-policy.js'
export { catalogue, catalogueEntry, type CatalogueEntry } from './catalogue.js'
