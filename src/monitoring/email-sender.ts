import nodemailer from 'nodemailer'
import type { Logger } from '../lib/logger.js'
import type { Clock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import { redactLinks, type Outbox, type OutboxMessage } from './outbox.js'

export type EmailSenderDeps = {
  outbox: Pick<Outbox, 'claimDue' | 'markSent' | 'markFailed'>
  /** SMTP_URL. Required: without a mail server the caller creates no sender and the outbox is read instead. */
  smtpUrl: string
  /** SMTP_FROM, e.g. `Bulwark <bulwark@example.com>`. */
  from: string
  logger: Pick<Logger, 'info' | 'warn' | 'error'>
  /** Stamps the Date header. */
  clock: Clock
  pollMs?: number
  /** Messages claimed per round. */
  batchSize?: number
}

// Short enough that a hung server cannot hold a round (and its claimed messages) for minutes.
const timeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }
// One plain address: no display name, list or group, so a stored address cannot fan out to more recipients.
const plainAddress = /^[^\s@,;:<>()"[\]\\]+@[^\s@,;:<>()"[\]\\]+$/

/** Node's URL error carries the input (credentials included) as a property, so it is never kept as a cause. */
const parseSmtpUrl = (smtpUrl: string): URL => {
  try {
    return new URL(smtpUrl)
  } catch {
    throw new AppError('BAD_INPUT', 'SMTP_URL is not a valid URL: use smtp://host:port or smtps://user:pass@host:port')
  }
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.')

/**
 * Parses SMTP_URL for nodemailer. URL query options pass through (e.g. `tls.rejectUnauthorized`), except
 * `logger` and `debug`: nodemailer's own logger prints the SMTP conversation, AUTH line included.
 */
const transportOptions = (smtpUrl: string) => {
  const url = parseSmtpUrl(smtpUrl)
  for (const key of [...url.searchParams.keys()]) if (/^(logger|debug|transactionLog)$/i.test(key)) url.searchParams.delete(key)
  // Credentials never cross a network in clear: plain smtp:// with a user must upgrade with STARTTLS, unless the
  // server is on this machine.
  const requireTLS = url.protocol === 'smtp:' && url.username !== '' && !isLoopback(url.hostname)
  return { url: url.toString(), requireTLS, logger: false, debug: false, disableFileAccess: true, disableUrlAccess: true, ...timeouts }
}

/** Every form in which SMTP_URL's credentials could surface in an error: raw, decoded, and base64 (AUTH PLAIN/LOGIN). */
const credentialForms = (smtpUrl: string): string[] => {
  const url = parseSmtpUrl(smtpUrl)
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s)
    } catch {
      return s
    }
  }
  const user = decode(url.username)
  const pass = decode(url.password)
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
  return [url.username, url.password, user, pass, b64(user), b64(pass), b64(`\0${user}\0${pass}`), b64(`${user}\0${user}\0${pass}`)]
    .filter((s) => s.length > 0)
    .sort((a, b) => b.length - a.length)
}

/**
 * Delivers the outbox over SMTP: claims due messages, sends each as plain text, then marks it sent (storing a
 * link-free copy of the body) or failed (retried with exponential back-off by `Outbox.claimDue`, up to its
 * maximum of attempts). Logs carry the outbox id, template and a scrubbed error: never the body (it holds live
 * links) nor SMTP_URL's credentials.
 */
export const createEmailSender = ({ outbox, smtpUrl, from, logger, clock, pollMs = 2000, batchSize = 20 }: EmailSenderDeps) => {
  const transport = nodemailer.createTransport(transportOptions(smtpUrl))
  const secrets = credentialForms(smtpUrl)

  /** An error as one line fit for logs and `last_error`: code, reply code, message, with credentials removed. */
  const describeError = (err: unknown): { code: string | undefined; responseCode: number | undefined; message: string } => {
    const e = (err ?? {}) as { code?: unknown; responseCode?: unknown; message?: unknown }
    let message = typeof e.message === 'string' ? e.message : String(err)
    for (const s of secrets) message = message.split(s).join('[redacted]')
    message = message.replace(/\/\/[^/\s@]*@/g, '//[redacted]@').replace(/\s+/g, ' ').slice(0, 300)
    return {
      code: typeof e.code === 'string' ? e.code : undefined,
      responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
      message,
    }
  }

  const sendOne = async (msg: OutboxMessage): Promise<boolean> => {
    const log = { outboxId: msg.id, template: msg.template, attempt: msg.attempts }
    if (!plainAddress.test(msg.to)) {
      await outbox.markFailed(msg.id, 'invalid recipient address', { isPermanent: true })
      logger.error(log, 'email not sent: the recipient address is not a single plain address')
      return false
    }
    try {
      await transport.sendMail({ from, to: { name: '', address: msg.to }, subject: msg.subject, text: msg.text, date: clock.now() })
    } catch (err) {
      const e = describeError(err)
      const outcome = await outbox.markFailed(msg.id, [e.code, e.message].filter(Boolean).join(': '))
      const fields = { ...log, code: e.code, responseCode: e.responseCode, error: e.message }
      if (outcome?.willRetry) logger.warn(fields, 'email delivery failed; will retry')
      else logger.error(fields, 'email delivery failed; giving up (the message stays readable in the outbox)')
      return false
    }
    try {
      await outbox.markSent(msg.id, redactLinks(msg.text))
    } catch (err) {
      // The server has the message; if this write is lost the message is sent again after its back-off.
      logger.error({ ...log, error: describeError(err).message }, 'email sent but not marked sent')
    }
    logger.info(log, 'email sent')
    return true
  }

  let round: Promise<{ sent: number; failed: number }> = Promise.resolve({ sent: 0, failed: 0 })

  /** Sends what is due, one message at a time; rounds never overlap within this process. */
  const deliverDue = (): Promise<{ sent: number; failed: number }> => {
    const run = async () => {
      const due = await outbox.claimDue(batchSize)
      let sent = 0
      for (const msg of due) if (await sendOne(msg)) sent++
      return { sent, failed: due.length - sent }
    }
    round = round.then(run, run)
    return round
  }

  let timer: NodeJS.Timeout | undefined
  let isRunning = false

  const tick = async () => {
    try {
      await deliverDue()
    } catch (err) {
      logger.warn({ error: describeError(err).message }, 'email delivery round failed; trying again later')
    }
    if (isRunning) {
      timer = setTimeout(() => void tick(), pollMs)
      timer.unref()
    }
  }

  /** Polls every `pollMs` from now on (first round at once); the timer does not keep the process alive. */
  const start = () => {
    if (isRunning) return
    isRunning = true
    timer = setTimeout(() => void tick(), 0)
    timer.unref()
  }

  /** Stops polling and waits for a round in flight; closes the SMTP transport. */
  const stop = async () => {
    isRunning = false
    if (timer) clearTimeout(timer)
    await round.catch(() => {})
    transport.close()
  }

  return { deliverDue, start, stop }
}

export type EmailSender = ReturnType<typeof createEmailSender>
