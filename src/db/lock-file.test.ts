import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { acquireLockFile } from './lock-file.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-lock-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const compiled = join(import.meta.dirname, '..', '..', 'dist', 'db', 'lock-file.js')
/** Another OS process trying to take the same lock (the compiled module, as `bulwark` would run it). */
const tryFromAnotherProcess = (path: string) =>
  spawnSync(process.execPath, ['--input-type=module', '-e', `import { acquireLockFile } from ${JSON.stringify(compiled)}; try { acquireLockFile(${JSON.stringify(path)}, 'the test database'); console.log('acquired') } catch (e) { console.error(e.message); process.exit(1) }`], {
    encoding: 'utf8',
  })

describe('the lock file', () => {
  it('refuses a second process while the first holds it, naming the holder', () => {
    const path = join(dir, 'a.lock')
    const lock = acquireLockFile(path, 'the test database')
    const second = tryFromAnotherProcess(path)
    expect(second.status).toBe(1)
    expect(second.stderr).toContain(`the test database is in use by process ${process.pid}`)
    lock.release()
    expect(existsSync(path)).toBe(false)
    expect(tryFromAnotherProcess(path).stdout).toContain('acquired')
  })

  it('is taken over when the process that held it is gone', () => {
    const path = join(dir, 'b.lock')
    const deadPid = Number(execFileSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).trim())
    writeFileSync(path, JSON.stringify({ pid: deadPid, hostname: hostname(), startedAt: '2026-01-01T00:00:00Z' }))
    const lock = acquireLockFile(path, 'the test database')
    lock.release()
  })
})
