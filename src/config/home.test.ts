import { chmodSync, mkdtempSync, statSync, writeFileSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { prepareHome } from './home.js'
import { loadPlatformSecrets } from './secrets.js'

const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'bulwark-home-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('BULWARK_HOME', () => {
  it('is created with mode 0700 and reported as created', () => {
    const path = join(tempDir(), 'home')
    const home = prepareHome(path)
    expect(home.created).toBe(true)
    expect(statSync(path).mode & 0o777).toBe(0o700)
    expect(prepareHome(path).created).toBe(false)
  })

  it('is refused, with the fix, when other users can read it', () => {
    const path = tempDir()
    chmodSync(path, 0o755)
    expect(() => prepareHome(path)).toThrow(/open to other users \(mode 0755\).*chmod 700/)
  })

  it('is refused when it is a file', () => {
    const path = join(tempDir(), 'file')
    writeFileSync(path, '')
    expect(() => prepareHome(path)).toThrow(/not a directory/)
  })
})

describe('platform secrets', () => {
  it('are generated once as 0600 files and read back unchanged', () => {
    const home = tempDir()
    const first = loadPlatformSecrets(home, {})
    expect(first.session.length).toBe(32)
    expect(first.session.equals(first.csrf)).toBe(false)
    expect(statSync(join(home, 'secrets', 'session.key')).mode & 0o777).toBe(0o600)
    expect(statSync(join(home, 'secrets')).mode & 0o777).toBe(0o700)
    const again = loadPlatformSecrets(home, {})
    expect(again.session.equals(first.session)).toBe(true)
  })

  it('refuse a generated key file that others can read', () => {
    const home = tempDir()
    loadPlatformSecrets(home, {})
    chmodSync(join(home, 'secrets', 'totpSeed.key'), 0o644)
    expect(() => loadPlatformSecrets(home, {})).toThrow(/readable by others.*chmod 600/)
  })

  it('can be given as *_FILE paths, which must hold enough key material', () => {
    const home = tempDir()
    const keyFile = join(tempDir(), 'session.key')
    writeFileSync(keyFile, Buffer.alloc(32, 7).toString('base64'), { mode: 0o640 })
    const secrets = loadPlatformSecrets(home, { SESSION_KEY_FILE: keyFile })
    expect(secrets.session.equals(Buffer.alloc(32, 7))).toBe(true)
    writeFileSync(keyFile, Buffer.alloc(8).toString('base64'))
    expect(() => loadPlatformSecrets(home, { SESSION_KEY_FILE: keyFile })).toThrow(/at least 32 random bytes/)
    expect(readFileSync(keyFile, 'utf8')).not.toBe('') // the operator's file is never rewritten
  })
})
