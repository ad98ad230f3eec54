import { isIP } from 'node:net'
import { z } from 'zod'
import { parseFaultPoints } from '../lib/fault.js'

const optionalPath = z.string().min(1).optional()

/** A whole number in range, with one message a person can act on whatever is wrong with it. */
const wholeNumber = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`
  return z.coerce.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message })
}

const isLoopbackHost = (hostname: string) =>
  hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname)

/** `a.b.c.d/n` or `x::y/n`, or a bare address (a single host). */
const isCidr = (value: string): boolean => {
  const [addr = '', prefix, extra] = value.split('/')
  const family = isIP(addr)
  if (family === 0 || extra !== undefined) return false
  if (prefix === undefined) return true
  if (!/^\d{1,3}$/.test(prefix)) return false
  return Number(prefix) <= (family === 4 ? 32 : 128)
}

/**
 * Every variable Bulwark reads. The README's configuration table is generated from the descriptions
 * here (`npm run docs:config`), so a variable cannot exist undocumented.
 */
export const envSchema = z
  .object({
    PORT: wholeNumber(0, 65_535).default(8080).describe('TCP port of the web/API server'),
    HOST: z.string().min(1).default('127.0.0.1').describe('Address to bind; the default serves this machine only'),
    BULWARK_HOME: z
      .string()
      .min(1)
      .default('./.bulwark')
      .describe('Everything embedded mode creates (database, secrets, sockets), mode 0700'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional()
      .describe('PostgreSQL URL; embedded PGlite under BULWARK_HOME when unset'),
    PUBLIC_ORIGIN: z
      .string()
      .default('http://localhost:8080')
      .refine((v) => URL.canParse(v), 'must be an absolute URL such as https://bulwark.example.com')
      .refine((v) => !URL.canParse(v) || new URL(v).origin === v.replace(/\/$/, ''), 'must be an origin: scheme, host and port only, no path')
      .refine(
        (v) => !URL.canParse(v) || new URL(v).protocol === 'https:' || isLoopbackHost(new URL(v).hostname),
        'must be https:// unless the host is localhost (browsers require a secure context)',
      )
      .transform((v) => v.replace(/\/$/, ''))
      .describe('Origin users open in the browser; used for cookies, CSRF checks and WebAuthn'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level'),
    TRUSTED_PROXIES: z
      .string()
      .default('')
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .refine((list) => list.every(isCidr), 'must be a comma-separated list of IP addresses or CIDR ranges')
      .describe('Proxies whose X-Forwarded-For is believed (comma-separated CIDRs); empty: client IP from the socket'),
    TLS_CERT_FILE: optionalPath.describe('PEM certificate; with TLS_KEY_FILE, serves HTTPS with HSTS'),
    TLS_KEY_FILE: optionalPath.describe('PEM private key for TLS_CERT_FILE'),
    BODY_LIMIT_BYTES: wholeNumber(1_024, 10_485_760).default(65_536).describe('Largest accepted request body'),
    SHUTDOWN_TIMEOUT_MS: wholeNumber(0, 300_000).default(10_000).describe('Grace period for in-flight requests on shutdown'),
    SESSION_KEY_FILE: optionalPath.describe('Session signing key file; generated under BULWARK_HOME/secrets when unset'),
    CSRF_KEY_FILE: optionalPath.describe('CSRF token key file; generated when unset'),
    AUDIT_HMAC_KEY_FILE: optionalPath.describe('Key for HMAC of secret-derived audit identifiers; generated when unset'),
    TOTP_SEED_KEY_FILE: optionalPath.describe('Key that encrypts TOTP seeds at rest; generated when unset'),
    WEBHOOK_SECRET_KEY_FILE: optionalPath.describe('Key that encrypts Signal Bot webhook secrets at rest; generated when unset'),
    BULWARK_FAULT_POINTS: z
      .string()
      .default('')
      .superRefine((spec, ctx) => {
        for (const message of parseFaultPoints(spec).problems) ctx.addIssue({ code: 'custom', message })
      })
      .describe('Crash-test fault points: comma-separated `name` or `name:action` (action throw, exit or kill); never set in production'),
    SIGNER_URL: z
      .string()
      .regex(/^tls:\/\/[^:/\s]+:\d{1,5}$/, 'must be tls://host:port')
      .optional()
      .describe('A signer on another host (mutual TLS 1.3); unset: start runs the signer beside the api'),
    SIGNER_CLIENT_CERT_FILE: optionalPath.describe("The api's client certificate for SIGNER_URL (PEM)"),
    SIGNER_CLIENT_KEY_FILE: optionalPath.describe('Private key of SIGNER_CLIENT_CERT_FILE'),
    SIGNER_CA_FILE: optionalPath.describe("CA that signed the remote signer's certificate"),
    BULWARK_SEPARATE_USERS: z
      .enum(['auto', 'on', 'off'])
      .default('auto')
      .describe('Run the signer and the api as two dedicated OS users (bulwark-signer, bulwark-api); auto: when started as root'),
    BULWARK_SETUP_TOKEN_TTL_HOURS: wholeNumber(1, 720).default(24).describe('Lifetime of the first-start setup token'),
    ARGON2_MEMORY_KIB: wholeNumber(19_456, 4_194_304).default(19_456).describe('argon2id memory per password hash (KiB); never below the OWASP floor; raising it rehashes each user at their next sign-in'),
    ARGON2_ITERATIONS: wholeNumber(2, 100).default(2).describe('argon2id passes per password hash; raising it rehashes each user at their next sign-in'),
    BULWARK_EGRESS_IPS: z
      .string()
      .default('')
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .refine((list) => list.every(isCidr), 'must be a comma-separated list of IP addresses or CIDR ranges')
      .describe("This platform's outgoing IP addresses, shown in the connect guide for the exchange's IP whitelist"),
    MARKET_SOURCE: z.enum(['replay', 'live', 'synthetic']).default('replay').describe("Market data for the demo exchanges: replay (bundled real candles, offline), live (the reference exchange's public API) or synthetic (seeded)"),
    MARKET_REPLAY_SPEED: z
      .union([z.literal('max'), z.coerce.number({ error: 'must be "max" or a number above 0' }).positive('must be above 0').max(1_000_000)])
      .default(1)
      .describe('Replay speed: 1 is real time, 60 is a minute per second, max as fast as the engine takes it'),
    MARKET_REPLAY_DIR: optionalPath.describe('Folder of replay CSVs (candles time,open,high,low,close,volume); the bundled data/market set when unset'),
    MARKET_REPLAY_FILES: z
      .string()
      .optional()
      .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined))
      .describe('Comma-separated replay files within MARKET_REPLAY_DIR; all bundled ones when unset'),
    MARKET_LIVE_EXCHANGE: z.string().regex(/^[a-z0-9]{2,30}$/, 'must be a ccxt exchange id like binance').default('binance').describe('Reference exchange for live market data (public endpoints, no keys)'),
    MARKET_LIVE_SYMBOLS: z
      .string()
      .default('BTC/USDT,ETH/USDT')
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .describe('Symbols the live feed follows'),
    MARKET_LIVE_POLL_MS: wholeNumber(100, 3_600_000).default(2_000).describe('Live feed polling interval'),
    MARKET_LIVE_FUNDING_POLL_MS: wholeNumber(1_000, 86_400_000).default(300_000).describe("How often the live feed reads perpetual funding rates from the reference exchange's public API"),
    MARKET_ALLOW_REPLAY_FALLBACK: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true')
      .describe('When live data is unreachable, switch to replay (shown as "fallback"; never silently)'),
    MARKET_SYNTHETIC_SEED: wholeNumber(0, 2_147_483_647).default(1).describe('Seed of the synthetic market'),
    DEMO_SEED: z.string().min(1).max(100).default('bulwark-demo').describe('Seed of the demo exchange engine (same seed and data → same fills)'),
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\/[^\s]+$/, 'must be smtp://host:port or smtps://user:pass@host:port')
      .optional()
      .describe('Mail server for account emails; unset: emails stay in the outbox (`bulwark outbox`, web shell)'),
    SMTP_FROM: z.string().min(3).default('Bulwark <bulwark@localhost>').describe('From address of account emails'),
    SIGNUP: z
      .enum(['auto', 'open', 'invite'])
      .default('auto')
      .describe('Who may sign up after the operator: open, invite (nobody, until teams), auto (open only on a loopback HOST); the operator can change it at run time'),
    TELEGRAM_BOT_TOKEN_FILE: optionalPath.describe('File holding the Telegram bot token (from @BotFather); unset: no Telegram channel'),
    TELEGRAM_API_ROOT: z
      .string()
      .default('https://api.telegram.org')
      .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL')
      .describe('Telegram Bot API root (tests point it at a local fake server)'),
    NOTIFY_WEBHOOK_ALLOW_PRIVATE: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true')
      .describe('Allow outgoing alert webhooks to loopback and private addresses (off: such URLs are refused, against SSRF)'),
    METRICS_TOKEN_FILE: optionalPath.describe('Bearer token for GET /metrics (Prometheus); generated under BULWARK_HOME/secrets when unset'),
    AUDIT_CHECKPOINT_INTERVAL_MS: wholeNumber(1_000, 86_400_000).default(3_600_000).describe('How often each audit chain head is signed by the signer (checkpoint)'),
    AUDIT_ARCHIVE_DIR: optionalPath.describe('Where archived audit segments are written; BULWARK_HOME/archive when unset'),
    UNLOCK_COOLING_OFF_SECONDS: wholeNumber(0, 30 * 86_400).default(86_400).describe('Wait between a confirmed unlock after a lockdown and the workspace opening again'),
  })

/** Rules across variables; checked on the raw values so they are reported along with every other problem. */
const crossFieldProblems = (env: Record<string, string | undefined>): string[] => [
  ...(Boolean(env.TLS_CERT_FILE) !== Boolean(env.TLS_KEY_FILE) ? [`${env.TLS_CERT_FILE ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'}: TLS_CERT_FILE and TLS_KEY_FILE go together`] : []),
  ...(env.SIGNER_URL
    ? (['SIGNER_CLIENT_CERT_FILE', 'SIGNER_CLIENT_KEY_FILE', 'SIGNER_CA_FILE'] as const).filter((k) => !env[k]).map((k) => `${k}: needed with SIGNER_URL (mutual TLS)`)
    : []),
]

export type Config = Readonly<z.infer<typeof envSchema>>

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] }

/** Reads the environment once; the result is frozen and handed out in slices (`Pick<Config, …>`). */
export const parseConfig = (env: Record<string, string | undefined>): ConfigResult => {
  const known = Object.fromEntries(Object.keys(envSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]))
  const parsed = envSchema.safeParse(known)
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues).map((issue) => {
      const name = issue.path.join('.') || 'environment'
      const given = typeof known[name] === 'string' ? ` (got "${String(known[name]).slice(0, 60)}")` : ''
      return `${name}: ${issue.message}${isSecretish(name) ? '' : given}`
    }),
    ...crossFieldProblems(known),
  ]
  if (!parsed.success || problems.length > 0) return { ok: false, problems }
  return { ok: true, config: Object.freeze(parsed.data) }
}

const isSecretish = (name: string) => name.endsWith('_FILE') || name === 'DATABASE_URL' || name === 'SMTP_URL'

/** One message listing every problem, for the process roots to print before exiting with code 1. */
export const formatConfigProblems = (problems: readonly string[]): string =>
  `Bulwark cannot start: invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems
    .map((p) => `  - ${p}`)
    .join('\n')}\nFix the variables above (see the Configuration table in README.md) and start again.`
