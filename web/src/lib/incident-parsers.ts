import type { Parse } from './api'
import { isRecord, readList, readObject, type JsonRecord } from './json-guards'
import { parseApproval, type Approval } from './team-parsers'

/**
 * Types and parsers for lockdown, incidents and unlock (src/api/routes/incident-routes.ts, shapes in
 * src/incident/incident-types.ts). The incident's `summary` and each timeline event's `details` are
 * open records: the page reads the few numbers it shows from them leniently.
 */

const recordOf = (value: unknown): JsonRecord => (isRecord(value) ? value : {})

export const incidentStates = ['open', 'unlocking', 'resolved'] as const
export type IncidentState = (typeof incidentStates)[number]

export type Incident = {
  id: string
  workspaceId: string
  state: IncidentState
  /** web | cli | emergency_link | system */
  trigger: string
  /** cancel | cancel_and_close | leave */
  ordersMode: string
  reason: string
  openedBy: { type: string; id: string | null }
  openedAt: string
  unlockRequestedAt: string | null
  unlockConfirmedAt: string | null
  /** The end of the cooling-off, once the emailed link was opened. */
  unlockNotBefore: string | null
  resolvedAt: string | null
  summary: JsonRecord
}

export type IncidentEvent = { id: string; at: string; kind: string; outcome: string; details: JsonRecord }

export type IncidentDetail = Incident & { timeline: IncidentEvent[] }

export const parseIncident = (value: unknown): Incident => {
  const fields = readObject(value, 'incident')
  const openedBy = readObject(fields.record('openedBy'), 'incident.openedBy')
  return {
    id: fields.string('id'),
    workspaceId: fields.string('workspaceId'),
    state: fields.oneOf('state', incidentStates),
    trigger: fields.string('trigger'),
    ordersMode: fields.string('ordersMode'),
    reason: fields.string('reason'),
    openedBy: { type: openedBy.string('type'), id: openedBy.nullableString('id') },
    openedAt: fields.string('openedAt'),
    unlockRequestedAt: fields.nullableString('unlockRequestedAt'),
    unlockConfirmedAt: fields.nullableString('unlockConfirmedAt'),
    unlockNotBefore: fields.nullableString('unlockNotBefore'),
    resolvedAt: fields.nullableString('resolvedAt'),
    summary: recordOf(recordOf(value).summary),
  }
}

export const parseIncidents: Parse<Incident[]> = (body) => readList(body, 'incidents', parseIncident)

const parseEvent = (value: unknown): IncidentEvent => {
  const fields = readObject(value, 'incident event')
  return { id: fields.string('id'), at: fields.string('at'), kind: fields.string('kind'), outcome: fields.string('outcome'), details: recordOf(recordOf(value).details) }
}

export const parseIncidentDetail: Parse<IncidentDetail> = (body) => {
  const incident = parseIncident(body)
  return { ...incident, timeline: readObject(body, 'incident').array('timeline', parseEvent) }
}

export type LockStatus = { locked: boolean; lockedAt: string | null; incident: Incident | null }

export const parseLockStatus: Parse<LockStatus> = (body) => {
  const fields = readObject(body, 'lock status')
  const incident = recordOf(body).incident
  return { locked: fields.boolean('locked'), lockedAt: fields.nullableString('lockedAt'), incident: isRecord(incident) ? parseIncident(incident) : null }
}

export type LockdownResult = { incident: Incident; joined: boolean; keysDisabled: number; pending: string[] }

export const parseLockdownResult: Parse<LockdownResult> = (body) => {
  const fields = readObject(body, 'lockdown')
  return { incident: parseIncident(fields.record('incident')), joined: fields.boolean('joined'), keysDisabled: fields.number('keysDisabled'), pending: fields.stringArray('pending') }
}

export type UnlockRequested = {
  incidentId: string
  emailedTo: string
  coolingOffSeconds: number
  /** Four-eyes (R42): after the waiting period a second owner or admin must approve the unlock. False from a server without teams. */
  approvalRequired: boolean
}

export const parseUnlockRequested: Parse<UnlockRequested> = (body) => {
  const fields = readObject(body, 'unlock request')
  const approvalRequired = recordOf(body).approvalRequired
  if (approvalRequired !== undefined && typeof approvalRequired !== 'boolean') throw new Error('unlock request: expected "approvalRequired" to be true or false')
  return {
    incidentId: fields.string('incidentId'),
    emailedTo: fields.string('emailedTo'),
    coolingOffSeconds: fields.number('coolingOffSeconds'),
    approvalRequired: approvalRequired === true,
  }
}

export type UnlockConfirmed = {
  workspaceId: string
  incidentId: string
  state: 'unlocking' | 'resolved'
  unlockNotBefore: string
  /** Four-eyes (R42) with no waiting period: the unlock became this request for a second owner or admin (HTTP 202). */
  approval: Approval | null
}

export const parseUnlockConfirmed: Parse<UnlockConfirmed> = (body) => {
  const fields = readObject(body, 'unlock confirmation')
  const approval = recordOf(body).approval
  return {
    workspaceId: fields.string('workspaceId'),
    incidentId: fields.string('incidentId'),
    state: fields.oneOf('state', ['unlocking', 'resolved'] as const),
    unlockNotBefore: fields.string('unlockNotBefore'),
    approval: approval === null || approval === undefined ? null : parseApproval(approval),
  }
}

export type ReenableResult = { status: string; operationId: string | undefined }

export const parseReenableResult: Parse<ReenableResult> = (body) => {
  const fields = readObject(body, 'key re-enable')
  const operation = recordOf(recordOf(body).operation)
  const id = operation.operationId
  return { status: fields.string('status'), operationId: typeof id === 'string' ? id : undefined }
}

export type EmergencyWorkspace = { id: string; name: string; role: string; locked: boolean }

export const parseEmergencyPreview: Parse<EmergencyWorkspace[]> = (body) =>
  readObject(body, 'emergency preview').array('workspaces', (value) => {
    const fields = readObject(value, 'workspace')
    return { id: fields.string('id'), name: fields.string('name'), role: fields.string('role'), locked: fields.boolean('locked') }
  })

export type EmergencyOutcome = { id: string; name: string; incidentId: string | null; error: string | null }

export const parseEmergencyResult: Parse<EmergencyOutcome[]> = (body) =>
  readObject(body, 'emergency lockdown').array('workspaces', (value) => {
    const fields = readObject(value, 'workspace')
    return { id: fields.string('id'), name: fields.string('name'), incidentId: fields.nullableString('incidentId'), error: fields.nullableString('error') }
  })
