import { eq } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { overrideProblem } from './alert-catalogue.js'
import type { AuditChain } from './audit-chain.js'
import type { AuditActor } from './audit-types.js'
import { schema, type Db, type DbOrTx } from '../db/index.js'

const severity = z.enum(['info', 'warning', 'critical'])

/**
 * The watching domains' per-workspace settings, one validated document (table `workspace_settings`).
 * A missing document or field means the default; a stored document is re-validated on every read.
 */
export const workspaceSettingsSchema = z
  .object({
    /** Per-rule overrides of the built-in alert catalogue (src/monitoring/alert-catalogue.ts). */
    alerts: z
      .object({
        rules: z.record(z.string().regex(/^[a-z][a-z0-9_.]*$/), z.object({ enabled: z.boolean().optional(), severity: severity.optional() }).strict()).default({}),
      })
      .strict()
      .default({ rules: {} }),
    keys: z
      .object({
        /** A key older than this is due for rotation (reminder `remindDaysBefore` days ahead). */
        rotationDays: z.number().int().min(7).max(730).default(90),
        remindDaysBefore: z.number().int().min(1).max(60).default(7),
        /** A key not used for this many days is flagged. */
        unusedDays: z.number().int().min(1).max(365).default(30),
      })
      .strict()
      .default({ rotationDays: 90, remindDaysBefore: 7, unusedDays: 30 }),
    audit: z
      .object({
        /** Entries older than this are archived to compressed files with their checkpoint; 0 keeps everything live. */
        retentionDays: z.number().int().min(0).max(3_650).default(0),
      })
      .strict()
      .default({ retentionDays: 0 }),
    lockdown: z
      .object({
        /** What a lockdown does with open orders: cancel them, cancel and close positions, or leave them. */
        orders: z.enum(['cancel', 'cancel_and_close', 'leave']).default('cancel'),
      })
      .strict()
      .default({ orders: 'cancel' }),
  })
  .strict()
export type WorkspaceSettings = z.infer<typeof workspaceSettingsSchema>
/** A partial update: each given section replaces the fields it names. */
export type WorkspaceSettingsPatch = { [K in keyof WorkspaceSettings]?: Partial<WorkspaceSettings[K]> }

export const defaultWorkspaceSettings = (): WorkspaceSettings => workspaceSettingsSchema.parse({})

/** The workspace's settings document (defaults filled in); used by alerts.raise and the key-hygiene job. */
export const readWorkspaceSettings = async (tx: DbOrTx, workspaceId: string): Promise<WorkspaceSettings> => {
  const [row] = await tx.select({ settings: schema.workspaceSettings.settings }).from(schema.workspaceSettings).where(eq(schema.workspaceSettings.workspaceId, workspaceId)).limit(1)
  return workspaceSettingsSchema.parse(row?.settings ?? {})
}

const describeIssues = (error: z.ZodError): string => error.issues.map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ')

/** Who changed the settings, for the audit entry (R36: alert and config changes are audited). */
export type SettingsChangedBy = { actor: AuditActor; ip?: string | undefined; requestId?: string | undefined }

export const createWorkspaceSettings = ({ db, clock, audit }: { db: Db; clock: Clock; audit?: Pick<AuditChain, 'appendIn'> }) => {
  const getIn = readWorkspaceSettings

  /**
   * Validates the merged document before writing: a bad patch changes nothing.
   * @throws AppError BAD_INPUT for an invalid value, an unknown alert rule, or turning off (or quietening) a security rule
   */
  const updateIn = async (tx: DbOrTx, workspaceId: string, patch: WorkspaceSettingsPatch, by?: SettingsChangedBy): Promise<WorkspaceSettings> => {
    for (const [rule, override] of Object.entries(patch.alerts?.rules ?? {})) {
      const problem = overrideProblem(rule, override ?? {})
      if (problem) throw new AppError('BAD_INPUT', `alerts.rules: ${problem}`)
    }
    const current = await getIn(tx, workspaceId)
    const parsed = workspaceSettingsSchema.safeParse({
      alerts: { ...current.alerts, ...patch.alerts, rules: { ...current.alerts.rules, ...patch.alerts?.rules } },
      keys: { ...current.keys, ...patch.keys },
      audit: { ...current.audit, ...patch.audit },
      lockdown: { ...current.lockdown, ...patch.lockdown },
    })
    if (!parsed.success) throw new AppError('BAD_INPUT', `settings: ${describeIssues(parsed.error)}`)
    const merged = parsed.data
    if (merged.keys.remindDaysBefore >= merged.keys.rotationDays) throw new AppError('BAD_INPUT', 'keys.remindDaysBefore: the reminder must come before the rotation period ends')
    const now = clock.now()
    await tx
      .insert(schema.workspaceSettings)
      .values({ workspaceId, settings: merged, updatedAt: now })
      .onConflictDoUpdate({ target: schema.workspaceSettings.workspaceId, set: { settings: merged, updatedAt: now } })
    if (audit && by) {
      await audit.appendIn(tx, { workspaceId, type: 'settings_changed', actor: by.actor, outcome: 'success', ip: by.ip, requestId: by.requestId, details: { changed: patch, sections: Object.keys(patch) } })
    }
    return merged
  }

  return {
    get: (workspaceId: string) => getIn(db, workspaceId),
    getIn,
    update: (workspaceId: string, patch: WorkspaceSettingsPatch, by?: SettingsChangedBy) => db.transaction((tx) => updateIn(tx, workspaceId, patch, by)),
    updateIn,
  }
}
export type WorkspaceSettingsService = ReturnType<typeof createWorkspaceSettings>
