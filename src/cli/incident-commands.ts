import type { Command } from 'commander'
import { AppError } from '../lib/errors.js'
import type { CliContext } from './cli-context.js'
import { callAdmin } from './admin-client.js'

type Timeline = Array<{ at: string; kind: string; outcome: string; details: Record<string, unknown> }>
type LockdownAnswer = { joined: boolean; keysDisabled: number; incident: { id: string; state: string; ordersMode: string; timeline: Timeline } }

const ORDERS = ['cancel', 'cancel_and_close', 'leave']

/** One line per fact of a step, e.g. `orders: success (found 3, cancelled 3)`. */
const describe = (details: Record<string, unknown>) =>
  Object.entries(details)
    .filter(([k, v]) => k !== 'errors' && (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string'))
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ')

/** `bulwark lockdown`: through the running instance's admin socket (the signer runs only with it). */
export const registerIncidentCommands = (program: Command, context: CliContext) => {
  program
    .command('lockdown')
    .description('lock a workspace down now: every key refuses, bots stop, open orders are handled, every session ends (R19)')
    .requiredOption('--workspace <id>', 'the workspace to lock down')
    .option('--orders <mode>', `open orders: ${ORDERS.join(' | ')} (default: the workspace setting)`)
    .option('--reason <text>', 'why, for the incident and the members’ email')
    .action(async (opts: { workspace: string; orders?: string; reason?: string }) => {
      if (opts.orders !== undefined && !ORDERS.includes(opts.orders)) throw new AppError('BAD_INPUT', `--orders: use ${ORDERS.join(', ')}`)
      const config = context.loadConfig()
      const body = { workspaceId: opts.workspace, ...(opts.orders ? { orders: opts.orders } : {}), ...(opts.reason ? { reason: opts.reason } : {}) }
      const answer = (await context.withData(
        config,
        (socket) => callAdmin(socket, 'lockdown', body),
        async () => {
          throw new AppError('UNAVAILABLE', 'Bulwark is not running: a lockdown needs the signer, which runs with it. Start it (`npm start`) and run this again')
        },
      )) as LockdownAnswer
      context.out(`${answer.joined ? 'joined the open incident' : 'incident opened'} ${answer.incident.id} (${answer.incident.state}); ${answer.keysDisabled} key(s) disabled; orders: ${answer.incident.ordersMode}`)
      for (const e of answer.incident.timeline) {
        context.out(`  ${e.at}  ${e.kind}: ${e.outcome}${describe(e.details) ? ` (${describe(e.details)})` : ''}`)
        for (const line of Array.isArray(e.details.errors) ? (e.details.errors as unknown[]) : []) context.out(`      ${String(line)}`)
      }
      if (answer.incident.timeline.some((e) => e.outcome === 'failure')) process.exitCode = 1
    })
}
