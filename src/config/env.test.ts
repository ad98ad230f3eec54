import { describe, expect, it } from 'vitest'
import { parseConfig, formatConfigProblems, envSchema } from './env.js'

describe('configuration', () => {
  it('starts from safe defaults with nothing set', () => {
    const result = parseConfig({})
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.config).toMatchObject({ PORT: 8080, HOST: '127.0.0.1', BULWARK_HOME: './.bulwark', PUBLIC_ORIGIN: 'http://localhost:8080', TRUSTED_PROXIES: [] })
    expect(result.config.DATABASE_URL).toBeUndefined()
    expect(Object.isFrozen(result.config)).toBe(true)
  })

  it('names every bad value at once, in one message', () => {
    const result = parseConfig({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      PUBLIC_ORIGIN: 'http://bulwark.example.com',
      LOG_LEVEL: 'loud',
      TRUSTED_PROXIES: '10.0.0.0/8,not-an-ip',
      TLS_CERT_FILE: '/tmp/cert.pem',
      BODY_LIMIT_BYTES: '10',
      BULWARK_FAULT_POINTS: 'Bad Name,ok.point:explode',
    })
    expect(result.ok).toBe(false)
    if (result.ok) return
    const names = result.problems.map((p) => p.split(':')[0])
    expect(names).toEqual(
      expect.arrayContaining(['PORT', 'DATABASE_URL', 'PUBLIC_ORIGIN', 'LOG_LEVEL', 'TRUSTED_PROXIES', 'TLS_KEY_FILE', 'BODY_LIMIT_BYTES', 'BULWARK_FAULT_POINTS']),
    )
    expect(result.problems.filter((p) => p.startsWith('BULWARK_FAULT_POINTS'))).toHaveLength(2)
    const message = formatConfigProblems(result.problems)
    expect(message).toContain('invalid configuration')
    expect(message).not.toMatch(/\bat .*\.ts:\d+/) // no stack trace
  })

  it('refuses an origin that is not a secure context for WebAuthn and WebCrypto', () => {
    expect(parseConfig({ PUBLIC_ORIGIN: 'http://trade.example.com' }).ok).toBe(false)
    expect(parseConfig({ PUBLIC_ORIGIN: 'https://trade.example.com' }).ok).toBe(true)
    expect(parseConfig({ PUBLIC_ORIGIN: 'http://127.0.0.1:9000' }).ok).toBe(true)
    expect(parseConfig({ PUBLIC_ORIGIN: 'https://trade.example.com/app' }).ok).toBe(false)
  })

  it('never echoes the value of DATABASE_URL or a secret file path in a problem', () => {
    const result = parseConfig({ DATABASE_URL: 'mysql://admin:hunter2hunter2@db/x' }) // secretlint-disable-line -- fake URL: tests that it is never echoed
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.problems.join('\n')).not.toContain('hunter2')
  })

  it('accepts trusted proxies as addresses or CIDR ranges', () => {
    const result = parseConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.10, fd00::/8' })
    expect(result.ok && result.config.TRUSTED_PROXIES).toEqual(['10.0.0.0/8', '192.168.1.10', 'fd00::/8'])
    expect(parseConfig({ TRUSTED_PROXIES: '10.0.0.0/33' }).ok).toBe(false)
  })

  it('documents every variable', () => {
    for (const [name, schema] of Object.entries(envSchema.shape)) expect(schema.description, name).toBeTruthy()
  })
})
