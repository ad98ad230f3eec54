import { isRecord, stringField, numberField } from '../../lib/json-guards'

/**
 * What the "locked down" page shows after the button: kept in this tab's sessionStorage, because the
 * lockdown ends the session that could have asked the server again. No secret in it: names and counts.
 */

export type LockdownReceipt = { workspaceName: string; incidentId: string; keysDisabled: number; ordersMode: string; at: string }

const KEY = 'bulwark:lockdown-receipt'

export const saveLockdownReceipt = (receipt: LockdownReceipt): void => {
  try {
    window.sessionStorage.setItem(KEY, JSON.stringify(receipt))
  } catch {
    // Storage off (private mode): the page then says what a lockdown does in general.
  }
}

export const readLockdownReceipt = (): LockdownReceipt | undefined => {
  try {
    const value: unknown = JSON.parse(window.sessionStorage.getItem(KEY) ?? 'null')
    if (!isRecord(value)) return undefined
    const workspaceName = stringField(value, 'workspaceName')
    const incidentId = stringField(value, 'incidentId')
    const keysDisabled = numberField(value, 'keysDisabled')
    const ordersMode = stringField(value, 'ordersMode')
    const at = stringField(value, 'at')
    if (workspaceName === undefined || incidentId === undefined || keysDisabled === undefined || ordersMode === undefined || at === undefined) return undefined
    return { workspaceName, incidentId, keysDisabled, ordersMode, at }
  } catch {
    return undefined
  }
}
