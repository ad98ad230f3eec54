import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { afterAll, describe, expect, it } from 'vitest'
import { createSignerClient } from '../../src/signer/index.js'
import { freePort, spawnBulwark, waitForReady, type Running } from '../support/cli.js'

/** A signer on "another host": `bulwark signer` serving the api's operations over mutual TLS 1.3. */
const dir = mkdtempSync(join(tmpdir(), 'bulwark-mtls-'))
const running: Running[] = []
afterAll(async () => {
  for (const r of running) {
    if (r.child.exitCode !== null) continue
    r.child.kill('SIGTERM')
    await r.exited
  }
  rmSync(dir, { recursive: true, force: true })
})

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
/** A throwaway CA and a certificate it signs (test material made at run time, never committed). */
const issue = (ca: string, name: string, ext: string) => {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`)
  writeFileSync(join(dir, `${name}.ext`), ext)
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '1', '-out', `${name}.pem`, '-extfile', `${name}.ext`)
}
const makeCa = (name: string) => openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`)
const file = (name: string) => join(dir, name)

describe('the signer on another host (mutual TLS)', () => {
  it('serves the api over mTLS, refuses clients without a certificate from its CA, keeps operator operations local', async () => {
    makeCa('ca')
    makeCa('rogue-ca')
    issue('ca', 'signer', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
    issue('ca', 'api', 'extendedKeyUsage=clientAuth\n')
    issue('rogue-ca', 'rogue', 'extendedKeyUsage=clientAuth\n')
    const signerPort = await freePort()
    const signer = spawnBulwark(['signer'], {
      BULWARK_HOME: file('signer-home'),
      SIGNER_TCP_LISTEN: `127.0.0.1:${signerPort}`,
      SIGNER_TLS_CERT_FILE: file('signer.pem'),
      SIGNER_TLS_KEY_FILE: file('signer.key'),
      SIGNER_CLIENT_CA_FILE: file('ca.pem'),
    })
    running.push(signer)
    const tls = { host: '127.0.0.1', port: signerPort, cert: readFileSync(file('api.pem')), key: readFileSync(file('api.key')), ca: readFileSync(file('ca.pem')) }
    const client = createSignerClient({ tls, timeoutMs: 2_000 })
    for (let i = 0; i < 200 && !(await client.ping().then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 100))
    expect(await client.ping()).toBe('ok')
    expect(((await client.call('publicKey', null, {})).result as { publicKey: string }).publicKey).toMatch(/^[A-Za-z0-9_-]{80,}$/)
    await expect(client.call('rotateMaster', null, {})).rejects.toMatchObject({ code: 'NOT_FOUND' }) // operator operations stay on the local socket
    client.close()

    // No client certificate, or one from another CA: the handshake fails.
    for (const extra of [{}, { cert: readFileSync(file('rogue.pem')), key: readFileSync(file('rogue.key')) }]) {
      const outcome = await new Promise<string>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: signerPort, ca: tls.ca, minVersion: 'TLSv1.3', ...extra })
        s.once('secureConnect', () => {
          s.write('{"id":"x","op":"status","workspaceId":null,"requestId":"r","params":{}}\n')
          s.once('data', () => resolve('answered'))
        })
        s.once('error', () => resolve('refused'))
        s.once('close', () => resolve('refused'))
      })
      expect(outcome).toBe('refused')
    }

    // A platform whose api talks to that signer: no local signer starts; /readyz reports the remote one.
    const port = await freePort()
    const platform = spawnBulwark(['start'], {
      BULWARK_HOME: file('api-home'),
      PORT: String(port),
      SIGNER_URL: `tls://127.0.0.1:${signerPort}`,
      SIGNER_CLIENT_CERT_FILE: file('api.pem'),
      SIGNER_CLIENT_KEY_FILE: file('api.key'),
      SIGNER_CA_FILE: file('ca.pem'),
    })
    running.push(platform)
    await waitForReady(`http://127.0.0.1:${port}/readyz`, platform)
    expect(await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()).toEqual({ status: 'ready', checks: { database: 'ok', signer: 'ok' } })
  })
})
