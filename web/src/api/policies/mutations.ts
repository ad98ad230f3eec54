import type { ApiClient } from '../../lib/api-client'
import { parseGated, parsePolicies, type PolicyPatch } from '../../lib/team-parsers'
import { policiesPath } from './queries'

/** Owners, with a step-up. Tightening applies at once; relaxing may wait for a second owner (202). */
export const updatePolicies = (client: ApiClient, workspaceId: string, patch: PolicyPatch) =>
  client.write('PATCH', policiesPath(workspaceId), parseGated(parsePolicies), patch)
