import type { AlertSeverity } from '../../lib/account-parsers'
import type { ApiClient } from '../../lib/api-client'
import { parseSettings, type LockdownOrdersMode } from '../../lib/notification-parsers'
import { settingsPath } from './queries'

/** A partial document: each given section replaces the fields it names. Needs a fresh step-up. */
export type SettingsPatch = {
  alerts?: { rules: Record<string, { enabled?: boolean; severity?: AlertSeverity }> }
  keys?: Partial<{ rotationDays: number; remindDaysBefore: number; unusedDays: number }>
  audit?: Partial<{ retentionDays: number }>
  lockdown?: Partial<{ orders: LockdownOrdersMode }>
}

export const updateSettings = (client: ApiClient, workspaceId: string, patch: SettingsPatch) => client.write('PATCH', settingsPath(workspaceId), parseSettings, patch)
