import type { Command } from 'commander'
import type { CliContext } from './cli-context.js'

/** More `bulwark audit …` verbs (export, archive, hash); `verify` is in cli/main.ts (the audit work may move it here). */
export const registerAuditCommands = (_audit: Command, _context: CliContext) => {}
