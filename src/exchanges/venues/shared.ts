/**
 * Words and rules several venue files share. The egress addresses themselves are the operator's
 * (`BULWARK_EGRESS_IPS`) and appear on the connect page next to the guide.
 */
export const pasteEgressIps = 'paste the egress IP addresses shown on this page'

export const neverTick = 'Never tick withdrawal, transfer, sub-account, convert or "universal transfer" permissions: Bulwark refuses keys that have them.'

/** Unified ccxt ids for the market types our catalogue ids trade. */
export const spotOnly = { types: ['spot'] }
export const linearOnly = { types: ['linear'] }
