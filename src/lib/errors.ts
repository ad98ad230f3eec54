/**
 * The closed set of error codes and the one table that maps them to HTTP statuses.
 * Codes are UPPER_SNAKE; lowercase names are audit event types, never error codes.
 * Messages are written for the person who caused the error and never carry a secret.
 */
export const statusByCode = {
  BAD_INPUT: 400,
  UNAUTHENTICATED: 401,
  STEP_UP_REQUIRED: 401,
  OTP_REPLAY: 401,
  PASSWORD_REJECTED: 400,
  FORBIDDEN: 403,
  PHISHING_RESISTANT_FACTOR_REQUIRED: 403,
  EMAIL_NOT_VERIFIED: 403,
  // A workspace policy allows it only from named address ranges, and this request came from elsewhere.
  IP_NOT_ALLOWED: 403,
  SECOND_FACTOR_REQUIRED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  KEY_HAS_WITHDRAW_PERMISSION: 422,
  KEY_LIMIT_EXCEEDED: 422,
  // A workspace policy refuses keys the exchange does not report as restricted to IP addresses.
  KEY_NOT_IP_RESTRICTED: 422,
  EXCHANGE_REJECTED: 422,
  VAULT_SEALED: 423,
  // A lockdown holds the workspace: reads and the incident's own routes pass, everything else waits for the unlock.
  WORKSPACE_LOCKED: 423,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  INTEGRITY_FAILED: 500,
  EXCHANGE_AUTH: 502,
  UNAVAILABLE: 503,
  KEY_UNAVAILABLE: 503,
  EXCHANGE_UNAVAILABLE: 503,
} as const

export type ErrorCode = keyof typeof statusByCode

export class AppError extends Error {
  readonly code: ErrorCode
  /** Structured, non-secret facts for logs and for clients that want more than the message. */
  readonly details: unknown
  /** A machine-readable refinement of the code that clients may act on (e.g. BREACHED_OR_COMMON); sent in the body. */
  readonly reason: string | undefined

  constructor(code: ErrorCode, message: string, opts?: { cause?: unknown; details?: unknown; reason?: string }) {
    super(message, opts?.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'AppError'
    this.code = code
    this.details = opts?.details
    this.reason = opts?.reason
  }

  get status(): number {
    return statusByCode[this.code]
  }
}

/** Node system errors carry a string `code` such as EADDRINUSE or ECONNREFUSED. */
export const systemErrorCode = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}
