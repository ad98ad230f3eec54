import type { Command } from 'commander'
import type { CliContext } from './cli-context.js'

/** `bulwark lockdown …` (the incident work fills this in). */
export const registerIncidentCommands = (_program: Command, _context: CliContext) => {}
