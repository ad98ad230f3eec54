import type { Command } from 'commander'
import type { CliContext } from './cli-context.js'

/** `bulwark backup`, `bulwark restore`, `bulwark vault recovery-kit` (the backups work fills this in). */
export const registerBackupCommands = (_program: Command, _context: CliContext) => {}
