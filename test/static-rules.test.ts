import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'
import { envSchema } from '../src/config/env.js'

const root = join(import.meta.dirname, '..')
const eslint = new ESLint({ cwd: root })

/** Lints a snippet as if it lived at `path`, returning the rule ids that fired. */
const rulesFiredAt = async (path: string, code: string) => (await eslint.lintText(code, { filePath: join(root, path) }))[0]?.messages.map((m) => m.ruleId ?? 'parse-error') ?? []

describe('static rules (SECURITY.md R5, R8 and the DESIGN.md import arrows)', () => {
  it('rejects createDecipheriv without authTagLength in src/', async () => {
    expect(await rulesFiredAt('src/crypto/x.ts', "import { createDecipheriv } from 'node:crypto'\nexport const d = (k: Buffer, iv: Buffer) => createDecipheriv('aes-256-gcm', k, iv)\n")).toContain('no-restricted-syntax')
    expect(await rulesFiredAt('src/crypto/x.ts', "import { createDecipheriv } from 'node:crypto'\nexport const d = (k: Buffer, iv: Buffer) => createDecipheriv('aes-256-gcm', k, iv, { authTagLength: 16 })\n")).toEqual([])
  })

  it('rejects Math.random and unauthenticated cipher modes in src/', async () => {
    expect(await rulesFiredAt('src/lib/x.ts', 'export const r = () => Math.random()\n')).toContain('no-restricted-properties')
    expect(await rulesFiredAt('src/crypto/x.ts', "import { createCipheriv } from 'node:crypto'\nexport const c = (k: Buffer, iv: Buffer) => createCipheriv('aes-256-cbc', k, iv)\n")).toContain('no-restricted-syntax')
  })

  it('enforces the dependency direction: nothing outside signer/ imports vault/, no domain imports api/', async () => {
    expect(await rulesFiredAt('src/auth/x.ts', "import { v } from '../vault/index.js'\nexport const x = v\n")).toContain('import-x/no-restricted-paths')
    expect(await rulesFiredAt('src/monitoring/x.ts', "import { buildApp } from '../api/index.js'\nexport const x = buildApp\n")).toContain('import-x/no-restricted-paths')
    expect(await rulesFiredAt('src/lib/x.ts', "import { schema } from '../db/index.js'\nexport const x = schema\n")).toContain('import-x/no-restricted-paths')
    expect(await rulesFiredAt('src/signer/x.ts', "import { v } from '../vault/index.js'\nexport const x = v\n")).not.toContain('import-x/no-restricted-paths')
  })
})

describe('documentation', () => {
  it('the README configuration table lists every variable the schema reads', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    for (const name of Object.keys(envSchema.shape)) expect(readme, name).toContain(`| \`${name}\` |`)
    expect(readme).toContain('npm ci && npm start')
    expect(readme).toContain('npm ci && npm test')
  })
})
