/**
 * What a locked workspace still answers (R19): reads (`*.read`) and the incident's own actions (status,
 * timeline, unlock). Everything else — trading, keys, settings, tokens, alerts changes — waits for the unlock
 * with WORKSPACE_LOCKED (423). The session guard applies it by the route's declared policy action.
 */
export const passesLock = (action: string): boolean => action.endsWith('.read') || action.startsWith('incident.')
