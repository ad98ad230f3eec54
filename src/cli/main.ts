import { resolve } from 'node:path'
import { existsSync } from 'node:fs'
import { Command, Option } from 'commander'
import { pino } from 'pino'
import { parseConfig, formatConfigProblems, homePaths, prepareHome, privateDir, type Config } from '../config/index.js'
import { AppError } from '../lib/errors.js'
import { createLogger } from '../lib/logger.js'
import { systemClock } from '../lib/clock.js'
import { readLockHolder, migrate, migrationStatus, type Database } from '../db/index.js'
import { createAuditChain, createOutbox } from '../monitoring/index.js'
import { createOperatorSetup, createSignupPolicy, type SignupMode } from '../auth/index.js'
import { openConfiguredDatabase } from '../main.js'
import { spawnSigner, supervise } from './supervisor.js'
import { separationEnabled } from './separation.js'
import { registerKeyCommands } from './keys-commands.js'
import { registerIncidentCommands } from './incident-commands.js'
import { registerBackupCommands } from './backup-commands.js'
import { registerAuditCommands } from './audit-commands.js'
import type { CliContext } from './cli-context.js'
import { bulwarkVersion } from '../version.js'
import { callAdmin } from './admin-client.js'
import { runDoctor, formatChecks } from './doctor.js'
import { promptHidden, readStdin } from './prompt.js'

/** Raised to end the command with a message and an exit code, never a stack trace. */
class CliExit extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
  }
}

const loadConfig = (): Config => {
  const parsed = parseConfig(process.env)
  if (!parsed.ok) throw new CliExit(formatConfigProblems(parsed.problems))
  return parsed.config
}

/**
 * Runs `direct` against the storage, or `viaInstance` when a running instance owns it. Only verbs that
 * set storage up (`create`) may create BULWARK_HOME and an empty database; the others refuse.
 */
const withData = async <T>(
  config: Config,
  viaInstance: (socket: string) => Promise<T>,
  direct: (database: Database) => Promise<T>,
  { create = false }: { create?: boolean } = {},
): Promise<T> => {
  const home = resolve(config.BULWARK_HOME)
  const paths = homePaths(home)
  if (existsSync(paths.instanceLock) && readLockHolder(paths.instanceLock)) return viaInstance(paths.adminSocket)
  if (!create && !config.DATABASE_URL && !existsSync(paths.dbDir)) {
    throw new CliExit(`bulwark: no embedded database at ${paths.dbDir} yet: start Bulwark once (\`npm start\`) or run \`bulwark migrate\``)
  }
  // A separated home (root:bulwark 0710) is accepted as start leaves it; start re-owns db/ on its next run.
  prepareHome(home, { groupMayTraverse: separationEnabled(config.BULWARK_SEPARATE_USERS) })
  privateDir(home, 'run') // the embedded database's lock lives there; a fresh home has none yet
  const database = await openConfiguredDatabase(config, home)
  try {
    if (!create) {
      const status = await migrationStatus(database)
      if (status.pending > 0) throw new CliExit(`bulwark: the database has ${status.pending} pending migration(s): run \`bulwark migrate\` first`)
    }
    return await direct(database)
  } finally {
    await database.close()
  }
}

const start = async () => {
  await supervise(loadConfig(), process.env)
}

export const buildCli = (): Command => {
  const program = new Command('bulwark')
    .description('Bulwark: self-hosted, security-first automated crypto trading')
    .version(bulwarkVersion, '-v, --version', 'print the version')
    .showHelpAfterError()

  program.command('start').description('start the platform (embedded storage unless DATABASE_URL is set)').action(start)

  program
    .command('signer')
    .description('run only the signer (key custody) in the foreground, as `start` runs it; for a service manager')
    .action(async () => {
      const config = loadConfig()
      const home = prepareHome(config.BULWARK_HOME)
      for (const dir of ['run', 'vault']) privateDir(home.path, dir)
      const child = spawnSigner(home.path, process.env, 'inherit')
      for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal))
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
      process.exitCode = code ?? 1
    })

  program
    .command('migrate')
    .description('apply pending database migrations (also done at every start; running twice is a no-op)')
    .action(async () => {
      const config = loadConfig()
      const result = await withData(
        config,
        (socket) => callAdmin(socket, 'migrate') as Promise<{ applied: number }>,
        async (database) => ({ applied: await migrate(database) }),
        { create: true },
      )
      process.stdout.write(result.applied === 0 ? 'database is up to date\n' : `applied ${result.applied} migration(s)\n`)
    })

  program
    .command('init')
    .description('create the operator account and its workspace from the terminal')
    .requiredOption('--email <email>', "the operator's email (their login)")
    .option('--workspace <name>', 'name of the personal workspace', 'Personal')
    .option('--password-stdin', 'read the password from standard input instead of prompting')
    .action(async (opts: { email: string; workspace: string; passwordStdin?: boolean }) => {
      const config = loadConfig()
      const password = opts.passwordStdin ? await readStdin() : await promptHidden('Password (15+ characters): ')
      const input = { email: opts.email, password, workspaceName: opts.workspace }
      const ids = await withData(
        config,
        (socket) => callAdmin(socket, 'init', input) as Promise<{ userId: string; workspaceId: string }>,
        async (database) => {
          const clock = systemClock
          const audit = createAuditChain({ db: database.db, clock })
          await migrate(database)
          return createOperatorSetup({ db: database.db, clock, audit, tokenTtlHours: config.BULWARK_SETUP_TOKEN_TTL_HOURS }).initFromCli(input)
        },
        { create: true },
      )
      process.stdout.write(`operator ${opts.email.toLowerCase()} created (user ${ids.userId}, workspace ${ids.workspaceId})\n`)
    })

  program
    .command('doctor')
    .description('check configuration, file modes, locks, socket paths and storage; changes nothing')
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { json?: boolean }) => {
      const checks = await runDoctor(process.env)
      process.stdout.write(opts.json ? `${JSON.stringify(checks)}\n` : `${formatChecks(checks)}\n`)
      if (checks.some((c) => c.status === 'fail')) process.exitCode = 1
    })

  const audit = program.command('audit').description('audit log tools')
  program
    .command('outbox')
    .description('show email waiting in the outbox (embedded mode needs no mail server)')
    .addOption(new Option('--pending', 'only messages not yet delivered'))
    .action(async (opts: { pending?: boolean }) => {
      const config = loadConfig()
      const messages = (await withData(
        config,
        (socket) => callAdmin(socket, 'outbox', { pendingOnly: opts.pending === true }),
        (database) => createOutbox({ db: database.db, clock: systemClock }).list({ pendingOnly: opts.pending === true }),
      )) as Array<{ createdAt: string; to: string; subject: string; text: string }>
      if (messages.length === 0) process.stdout.write('the outbox is empty\n')
      for (const m of messages) process.stdout.write(`--- ${m.createdAt} to ${m.to}: ${m.subject}\n${m.text}\n`)
    })

  program
    .command('signup')
    .description('show or set who may create an account after the operator: open, invite (nobody) or auto (open on loopback only)')
    .argument('[mode]', 'open | invite | auto')
    .action(async (mode: string | undefined) => {
      if (mode !== undefined && !['open', 'invite', 'auto'].includes(mode)) throw new AppError('BAD_INPUT', 'mode: use open, invite or auto')
      const config = loadConfig()
      const result = (await withData(
        config,
        (socket) => callAdmin(socket, 'signup', mode === undefined ? {} : { mode }),
        async (database) => {
          const policy = createSignupPolicy({ db: database.db, clock: systemClock, configured: config.SIGNUP, host: config.HOST })
          if (mode !== undefined) await policy.setMode(mode as SignupMode)
          return { mode: await policy.mode(), open: await policy.isOpen() }
        },
      )) as { mode: string; open: boolean }
      process.stdout.write(`sign-up: ${result.mode} (${result.open ? 'open now' : 'closed now'})\n`)
    })

  registerKeyCommands(program, loadConfig, (line) => process.stdout.write(`${line}\n`))
  const context: CliContext = { loadConfig, withData, out: (line) => process.stdout.write(`${line}\n`) }
  registerAuditCommands(audit, context)
  registerIncidentCommands(program, context)
  registerBackupCommands(program, context)

  program
    .command('version')
    .description('print the version')
    .action(() => {
      process.stdout.write(`bulwark ${bulwarkVersion}\n`)
    })

  return program
}

/** Every failure ends as one line on stderr and exit code 1 — never a stack trace. */
export const runCli = async (argv: string[]): Promise<void> => {
  try {
    await buildCli().parseAsync(argv)
  } catch (err) {
    if (err instanceof CliExit) {
      process.stderr.write(`${err.message}\n`)
      process.exit(err.exitCode)
    }
    if (err instanceof AppError) {
      process.stderr.write(`bulwark: ${err.message}\n`)
      process.exit(1)
    }
    createLogger({ level: 'error', name: 'cli', destination: pino.destination(2) }).error({ err }, 'unexpected failure')
    process.stderr.write('bulwark: unexpected failure (details above); please report it\n')
    process.exit(1)
  }
}
