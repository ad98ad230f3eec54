import { resolve } from 'node:path'
import { existsSync, readFileSync } from 'node:fs'
import { createHash, randomBytes } from 'node:crypto'
import type { Command } from 'commander'
import { homePaths, type Config } from '../config/index.js'
import { AppError } from '../lib/errors.js'
import { readLockHolder } from '../db/index.js'
import { encodeCredentialFields, sealTo } from '../crypto/index.js'
import { createSignerClient, type KeyView } from '../signer/index.js'
import { catalogue, catalogueEntry } from '../exchanges/index.js'
import { callAdmin } from './admin-client.js'
import { promptHidden, readStdin } from './prompt.js'

type Out = (line: string) => void
type OperatorCallOp = 'rotateMaster' | 'verifyVault' | 'refresh' | 'enable' | 'auditPublicKey' | 'seal' | 'unseal' | 'status' | 'auditHash'

/** The running instance's sockets; every `keys` and `vault` verb needs the platform running. */
const runningPaths = (config: Config) => {
  const paths = homePaths(resolve(config.BULWARK_HOME))
  if (!existsSync(paths.instanceLock) || !readLockHolder(paths.instanceLock)) throw new AppError('UNAVAILABLE', 'Bulwark is not running: start it first (`npm start`), then run this command in another terminal')
  return paths
}

/** A client on the signer's operator socket, presenting the operator token (readable by this user only). */
const operatorClient = (paths: ReturnType<typeof homePaths>, timeoutMs = 15_000) =>
  createSignerClient({ socketPath: paths.signerOperatorSocket, timeoutMs, auth: readFileSync(paths.operatorToken, 'utf8').trim() })

const workspaceOf = async (socket: string, given?: string): Promise<string> => given ?? ((await callAdmin(socket, 'operator-workspace')) as { workspaceId: string }).workspaceId

const printKey = (out: Out, k: KeyView) => {
  const v = k.verification as { status?: string; withdrawEnabled?: boolean; ipRestricted?: boolean; tradingEnabled?: boolean }
  out(`${k.keyId}  ${k.exchange}  ${k.apiKeyHint}  ${k.state}${k.disabledReason ? ` (${k.disabledReason})` : ''}`)
  out(`  verification: ${v.status ?? 'unknown'}; withdraw ${v.withdrawEnabled ? 'ENABLED' : 'disabled ✓'}; IP ${v.ipRestricted === undefined ? 'unknown (not reported by the exchange)' : v.ipRestricted ? 'restricted ✓' : 'UNRESTRICTED'}; trading ${v.tradingEnabled ? 'enabled ✓' : 'disabled'}`)
  out(`  limits: ${k.limits.symbols.join(', ')}; ≤ ${k.limits.maxOrderNotional} per order, ≤ ${k.limits.max24hNotional} per 24 h, ≤ ${k.limits.maxOrdersPerMinute}/min, band ±${k.limits.priceBandPct}%`)
}

/** `bulwark keys …` and `bulwark vault …`: the CLI seals credentials itself; the api only relays the envelope. */
export const registerKeyCommands = (program: Command, loadConfig: () => Config, out: Out) => {
  const keys = program.command('keys').description('exchange API keys (sealed to the signer; the api never sees them)')

  keys
    .command('add')
    .description('connect an exchange API key: prompts without echo, seals to the signer, verifies at the exchange')
    .requiredOption('--exchange <id>', 'exchange id, e.g. binance')
    .option('--workspace <id>', "workspace to connect it to (default: the operator's own)")
    .option('--credentials-stdin', 'read the API key, the secret and (where the exchange has one) the passphrase as lines from standard input')
    .action(async (opts: { exchange: string; workspace?: string; credentialsStdin?: boolean }) => {
      const entry = catalogueEntry(opts.exchange)
      if (!entry) throw new AppError('BAD_INPUT', `--exchange: "${opts.exchange}" is not supported (one of: ${catalogue.map((e) => e.id).join(', ')})`)
      const paths = runningPaths(loadConfig())
      const workspaceId = await workspaceOf(paths.adminSocket, opts.workspace)
      const needsPassphrase = entry.credentials.includes('password')
      let apiKey: string
      let secret: string
      let password = ''
      if (opts.credentialsStdin) {
        ;[apiKey = '', secret = '', password = ''] = (await readStdin()).split(/\r?\n/)
      } else {
        apiKey = await promptHidden(`${entry.credentialLabels.apiKey}: `)
        secret = await promptHidden(`${entry.credentialLabels.secret}: `)
        if (needsPassphrase) password = await promptHidden(`${entry.credentialLabels.password ?? 'Passphrase'}: `)
      }
      if (needsPassphrase && password.trim() === '') throw new AppError('BAD_INPUT', `${entry.name} keys come with a passphrase: give it as the third line (or at the prompt)`)
      // The sealing key comes from the signer itself, never through the api (which could hand out its own).
      const operator = operatorClient(paths)
      const { publicKey } = await operator.call('publicKey', null, {}).then((r) => r.result as { publicKey: string }, (err: unknown) => {
        operator.close()
        throw err
      })
      operator.close()
      const plaintext = encodeCredentialFields({ apiKey: apiKey.trim(), secret: secret.trim(), ...(needsPassphrase ? { password: password.trim() } : {}) })
      const envelope = await sealTo(publicKey, plaintext, {
        workspaceId,
        exchange: opts.exchange,
        nonce: randomBytes(18).toString('base64url'),
        expiresAt: new Date(Date.now() + 5 * 60_000).toISOString(),
        purpose: 'exchange-credentials',
      })
      plaintext.fill(0)
      printKey(out, (await callAdmin(paths.adminSocket, 'keys-connect', { workspaceId, exchange: opts.exchange, envelope })) as KeyView)
    })

  keys
    .command('fingerprint')
    .description("print the fingerprint of the signer's sealing key, to compare with what the browser shows before sealing")
    .action(async () => {
      const paths = runningPaths(loadConfig())
      const operator = operatorClient(paths)
      try {
        const { publicKey } = (await operator.call('publicKey', null, {})).result as { publicKey: string }
        // The same computation as the dashboard: SHA-256 over the raw public key bytes, first 16 hex digits.
        out(`signer sealing key fingerprint: ${createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex').slice(0, 16)}`)
      } finally {
        operator.close()
      }
    })

  keys
    .command('list')
    .description('list connected keys with their verification and limits')
    .option('--workspace <id>', 'workspace (default: the operator’s own)')
    .action(async (opts: { workspace?: string }) => {
      const paths = runningPaths(loadConfig())
      const list = (await callAdmin(paths.adminSocket, 'keys-list', { workspaceId: await workspaceOf(paths.adminSocket, opts.workspace) })) as KeyView[]
      if (list.length === 0) out('no keys connected')
      for (const k of list) printKey(out, k)
    })

  const exec = (name: string, description: string, method: string, args: (o: Record<string, string>) => Record<string, unknown>, extra: Array<[string, string]> = []) => {
    const cmd = keys.command(`${name} <keyId>`).description(description).option('--workspace <id>', 'workspace (default: the operator’s own)')
    for (const [flag, help] of extra) cmd.requiredOption(flag, help)
    cmd.action(async (keyId: string, opts: Record<string, string>) => {
      const paths = runningPaths(loadConfig())
      const result = await callAdmin(paths.adminSocket, 'keys-execute', { workspaceId: await workspaceOf(paths.adminSocket, opts.workspace), keyId, method, args: args(opts) })
      out(JSON.stringify(result, null, 2))
    })
  }
  exec('balance', 'fetch the balance through the signer', 'fetchBalance', () => ({}))
  exec('open-orders', 'list open orders for a symbol through the signer', 'fetchOpenOrders', (o) => ({ symbol: o.symbol }), [['--symbol <symbol>', 'unified symbol, e.g. BTC/USDT']])

  keys
    .command('disable <keyId>')
    .description('disable a key in the signer (it can no longer trade)')
    .option('--reason <text>', 'why', 'disabled by the operator')
    .option('--workspace <id>', 'workspace (default: the operator’s own)')
    .action(async (keyId: string, opts: { reason: string; workspace?: string }) => {
      const paths = runningPaths(loadConfig())
      printKey(out, (await callAdmin(paths.adminSocket, 'keys-disable', { workspaceId: await workspaceOf(paths.adminSocket, opts.workspace), keyId, reason: opts.reason })) as KeyView)
    })

  keys
    .command('enable <keyId>')
    .description('re-verify a disabled or unverified key at the exchange and let it trade again (operator only)')
    .option('--workspace <id>', 'workspace (default: the operator’s own)')
    .action(async (keyId: string, o: { workspace?: string }) => {
      const paths = runningPaths(loadConfig())
      printKey(out, (await operatorCall('enable', await workspaceOf(paths.adminSocket, o.workspace), { keyId })) as KeyView)
    })

  keys
    .command('remove <keyId>')
    .description('destroy every share of a key in every store')
    .option('--workspace <id>', 'workspace (default: the operator’s own)')
    .action(async (keyId: string, opts: { workspace?: string }) => {
      const paths = runningPaths(loadConfig())
      await callAdmin(paths.adminSocket, 'keys-remove', { workspaceId: await workspaceOf(paths.adminSocket, opts.workspace), keyId })
      out(`key ${keyId} destroyed`)
    })

  keys
    .command('limits <keyId>')
    .description("set a key's limits in the signer (operator only: widening needs this command)")
    .requiredOption('--symbols <list>', 'comma-separated unified symbols, e.g. BTC/USDT,ETH/USDT')
    .requiredOption('--max-order <quote>', 'max notional per order, in the quote currency')
    .requiredOption('--max-day <quote>', 'max notional per rolling 24 h')
    .option('--per-minute <n>', 'max orders per minute', '10')
    .option('--band <pct>', 'max distance of a limit price from the reference price, %', '5')
    .option('--workspace <id>', 'workspace (default: the operator’s own)')
    .action(async (keyId: string, o: { symbols: string; maxOrder: string; maxDay: string; perMinute: string; band: string; workspace?: string }) => {
      const paths = runningPaths(loadConfig())
      const ws = await workspaceOf(paths.adminSocket, o.workspace)
      const operator = operatorClient(paths)
      try {
        const limits = { symbols: o.symbols.split(',').map((s) => s.trim()), maxOrderNotional: o.maxOrder, max24hNotional: o.maxDay, maxOrdersPerMinute: Number(o.perMinute), priceBandPct: o.band }
        printKey(out, (await operator.call('setLimits', ws, { keyId, limits })).result as KeyView)
      } finally {
        operator.close()
      }
    })

  const vault = program.command('vault').description('key custody maintenance (operator only; talks to the signer directly)')
  const operatorCall = async (op: OperatorCallOp, workspaceId: string | null, params: Record<string, unknown>) => {
    const paths = runningPaths(loadConfig())
    const operator = operatorClient(paths, 600_000)
    try {
      return (await operator.call(op, workspaceId, params as never)).result
    } finally {
      operator.close()
    }
  }
  vault
    .command('rotate-master')
    .description('re-wrap every share under a new master-key version (crash-safe, resumable), then retire the old one')
    .action(async () => out(JSON.stringify(await operatorCall('rotateMaster', null, {}))))
  vault
    .command('verify')
    .description('assemble every key once (nothing is used) and report store health')
    .action(async () => {
      const report = (await operatorCall('verifyVault', null, {})) as { keys: Array<{ ok: boolean }>; stores: unknown }
      out(JSON.stringify(report, null, 2))
      if (report.keys.some((k) => !k.ok)) process.exitCode = 2
    })
  type SealView = { sealed: boolean; reason?: string | null; sealReason?: string | null; changedAt?: string | null; sealChangedAt?: string | null }
  const printSeal = (s: SealView) => {
    const reason = s.reason ?? s.sealReason ?? null
    const since = s.changedAt ?? s.sealChangedAt ?? null
    out(s.sealed ? `signer: SEALED${reason ? ` (${reason})` : ''}${since ? ` since ${since}` : ''} — it refuses all but narrowing and audit operations` : `signer: unsealed${since ? ` since ${since}` : ''}`)
  }
  vault
    .command('seal')
    .description('seal the signer for the whole instance: it refuses to sign or use any key (narrowing and audit still work) until unsealed')
    .requiredOption('--reason <text>', 'why (kept in the signer’s own audit log)')
    .action(async (o: { reason: string }) => printSeal((await operatorCall('seal', null, { reason: o.reason })) as SealView))
  vault
    .command('unseal')
    .description('lift the global seal: keys that are active trade again')
    .action(async () => printSeal((await operatorCall('unseal', null, {})) as SealView))
  vault
    .command('status')
    .description('whether the signer is sealed, and the health of each share store')
    .action(async () => {
      const status = (await operatorCall('status', null, {})) as SealView & { stores: unknown }
      printSeal(status)
      out(JSON.stringify({ stores: status.stores }, null, 2))
    })
  vault
    .command('audit-key')
    .description("print the signer's audit checkpoint public key (PEM) and its id, for auditors to pin")
    .action(async () => {
      const { publicKey, keyId } = (await operatorCall('auditPublicKey', null, {})) as { publicKey: string; keyId: string }
      out(`audit checkpoint key id: ${keyId}`)
      out(publicKey.trimEnd())
    })
  vault
    .command('audit-hash')
    .description('the fingerprint the signer logs for an API key (an auditor checks a known key against the logs; R37). Reads the key from a hidden prompt, or stdin with --stdin')
    .option('--stdin', 'read the API key from standard input')
    .action(async (o: { stdin?: boolean }) => {
      const value = o.stdin ? ((await readStdin()).split(/\r?\n/)[0] ?? '') : await promptHidden('API key: ')
      if (!value) throw new AppError('BAD_INPUT', 'give the API key to hash')
      const { fingerprint } = (await operatorCall('auditHash', null, { value })) as { fingerprint: string }
      out(`fingerprint: ${fingerprint}`)
    })
  vault
    .command('refresh <keyId>')
    .description('new data key for one key: re-encrypt and re-split, so old shares and backups stop working')
    .option('--workspace <id>', 'workspace (default: the operator’s own)')
    .action(async (keyId: string, o: { workspace?: string }) => {
      const paths = runningPaths(loadConfig())
      out(JSON.stringify(await operatorCall('refresh', await workspaceOf(paths.adminSocket, o.workspace), { keyId })))
    })
}
