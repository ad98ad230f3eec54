import { z } from 'zod'

/** The signer's own configuration: it is started with a minimal environment holding only these. */
export const signerEnvSchema = z.object({
  BULWARK_HOME: z.string().min(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  VAULT_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  VAULT2_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  VAULT_SHARE_DIR_3: z.string().min(1).optional(),
  VAULT_THRESHOLD: z.coerce.number().int().min(2).max(3).default(2),
  BULWARK_EXCHANGE_ENDPOINTS: z
    .string()
    .default('{}')
    .transform((s, ctx) => {
      try {
        const parsed = JSON.parse(s) as unknown
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === 'string' && URL.canParse(v))) return parsed as Record<string, string>
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'must be JSON mapping a ccxt id to a base URL, e.g. {"binance":"http://127.0.0.1:9000"}' })
      return z.NEVER
    }),
  BULWARK_FAULT_POINTS: z.string().default(''),
  /** Multiplies every venue's request-weight budget: for testnets and the emulator, never for a real venue's IP. */
  /** A signer on its own host: `host:port` to serve the api's operations over mutual TLS 1.3. */
  SIGNER_TCP_LISTEN: z.string().regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port').optional(),
  SIGNER_TLS_CERT_FILE: z.string().min(1).optional(),
  SIGNER_TLS_KEY_FILE: z.string().min(1).optional(),
  /** The CA that signed the api's client certificate: nobody else can connect. */
  SIGNER_CLIENT_CA_FILE: z.string().min(1).optional(),
  /** Separated mode: the api (another OS user, in the signer's group) must be able to connect. */
  SIGNER_SOCKET_GROUP_ACCESS: z.enum(['0', '1']).default('0'),
  SIGNER_RATE_BUDGET_FACTOR: z.coerce.number().min(0.01).max(1_000).default(1),
  /**
   * The origin users open (the api's PUBLIC_ORIGIN, same default): a passkey confirmation must name it,
   * and its hostname is the WebAuthn RP ID. The signer checks assertions itself, so it needs its own copy.
   */
  PUBLIC_ORIGIN: z
    .string()
    .default('http://localhost:8080')
    .refine((v) => URL.canParse(v) && new URL(v).origin === v.replace(/\/$/, ''), 'must be an origin such as https://bulwark.example.com (no path)')
    .transform((v) => v.replace(/\/$/, '')),
  /** How long a widening (limits, re-enable, a new trusted passkey) waits without a passkey confirmation. */
  SIGNER_WIDENING_DELAY_SECONDS: z.coerce.number().int().min(1).max(30 * 86_400).default(86_400),
})
export type SignerConfig = Readonly<z.infer<typeof signerEnvSchema>>

/** The variables `bulwark start` passes to the signer; nothing else of the parent's environment goes along. */
export const signerEnvKeys = Object.keys(signerEnvSchema.shape) as Array<keyof SignerConfig>
