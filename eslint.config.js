// ESLint flat config for Bulwark.
//
// Fast on purpose: typescript-eslint's syntax-only `recommended` set, no type-aware rules.
// The security-relevant parts are the import boundaries (DESIGN.md "Layout" / "May import",
// STYLE.md "Dependency direction") and a few crypto rules from SECURITY.md (R5, R8).
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import js from '@eslint/js'
import { defineConfig, globalIgnores } from 'eslint/config'
import { createNodeResolver, importX } from 'eslint-plugin-import-x'
import tseslint from 'typescript-eslint'

const root = path.dirname(fileURLToPath(import.meta.url))

// ---------------------------------------------------------------------------------------------
// Import resolution for `import-x/no-restricted-paths`.
//
// The rule only checks imports it can resolve to a file path; unresolved imports are silently
// skipped. Our TypeScript uses NodeNext specifiers (`import { x } from '../lib/errors.js'`, file
// is `errors.ts`), so:
//   1. the node resolver (unrs-resolver) with `extensionAlias` maps `.js` → `.ts`/`.tsx` for files
//      that exist, and resolves packages to node_modules (outside every zone);
//   2. a lexical fallback resolves any relative specifier that does not exist (yet) to the path it
//      names (`.js` → `.ts`), so a boundary is enforced even before the target file is written and
//      when linting from stdin. TypeScript itself reports imports of missing files; do not enable
//      `import-x/no-unresolved` on top of this fallback.
// ---------------------------------------------------------------------------------------------
const nodeResolver = createNodeResolver({
  extensions: ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.json', '.node'],
  extensionAlias: {
    '.js': ['.ts', '.tsx', '.js', '.jsx'],
    '.jsx': ['.tsx', '.jsx'],
    '.mjs': ['.mts', '.mjs'],
    '.cjs': ['.cts', '.cjs'],
  },
})

const lexicalRelativeResolver = {
  interfaceVersion: 3,
  name: 'bulwark:lexical-relative',
  resolve(modulePath, sourceFile) {
    if (!modulePath.startsWith('.') && !path.isAbsolute(modulePath)) return { found: false }
    const target = path.resolve(path.dirname(sourceFile), modulePath)
    return { found: true, path: target.replace(/\.([mc]?)js(x?)$/, '.$1ts$2') }
  },
}

// ---------------------------------------------------------------------------------------------
// Dependency direction (DESIGN.md "May import", STYLE.md "Dependency direction").
//
// Cross-cutting rules get their own zone and message. Every domain folder additionally gets an
// allowlist zone ("imports nothing from src/ except …"); the cross-cutting targets are excluded
// from those allowlist zones so one bad import is reported once, with the most specific message.
// Zones are plain paths and globs, so they apply to folders that do not exist yet.
// ---------------------------------------------------------------------------------------------

/** Domain folder → the src/ folders it may import (besides itself). api/ and cli/ are glue and may
 *  import any domain (vault excepted); they have no allowlist zone. */
const mayImport = {
  config: ['lib'],
  lib: [],
  crypto: [],
  db: ['lib'],
  monitoring: ['db', 'lib', 'crypto'],
  vault: ['crypto', 'db', 'lib'],
  signer: ['vault', 'exchanges', 'monitoring', 'db', 'lib', 'crypto'],
  exchanges: ['lib', 'crypto', 'monitoring', 'db'],
  market: ['lib', 'db', 'monitoring', 'crypto', 'exchanges'],
  demo: ['exchanges', 'market', 'monitoring', 'db', 'lib', 'crypto'],
  auth: ['crypto', 'db', 'monitoring', 'lib'],
  keys: ['exchanges', 'signer', 'monitoring', 'db', 'lib', 'crypto'],
  trading: ['keys', 'exchanges', 'market', 'signer', 'monitoring', 'db', 'lib', 'crypto'],
  incident: ['auth', 'keys', 'trading', 'signer', 'monitoring', 'db', 'lib', 'crypto'],
  live: ['db', 'lib'],
  teams: ['auth', 'monitoring', 'db', 'lib', 'crypto'],
}

/** Extra words for a domain's allowlist message. */
const domainNote = {
  lib: 'lib/ has no domain knowledge: node built-ins and a few wrapped utility packages only.',
  crypto: 'crypto/ holds pure primitives: node built-ins only, no I/O, nothing from src/.',
  monitoring: 'monitoring/ is the sink every domain writes to; it must not depend on those domains.',
  vault: 'vault/ runs inside the signer process only.',
  signer: 'The signer process must stay minimal: it never loads api, auth, trading or bot code.',
  keys: 'keys/ reaches key material only through the signer client, which carries none.',
  trading: 'trading/ talks to real exchanges through the signer client (never ccxt with credentials).',
  incident: 'incident/ orchestrates auth, keys, trading, the signer client and monitoring.',
}

/** Handled by the cross-cutting zones below, so allowlist zones skip them (no double reports). */
const crossCutting = ['vault', 'config', 'api', 'cli', 'main.ts', 'signer/main.ts']

const dependencyZones = [
  {
    target: ['src/!(signer|vault)/**', 'src/*.ts'],
    from: 'src/vault',
    message:
      'Nothing outside src/signer/ imports src/vault/: plaintext key material exists only in the vault ' +
      'and the signer process (DESIGN.md "Layout", SECURITY.md R11). Ask the signer client to act instead.',
  },
  {
    target: ['src/!(config|cli|signer)/**', 'src/!(main.ts)', 'src/signer/!(main.ts)', 'src/signer/*/**'],
    from: 'src/config',
    message:
      'Only the process roots (src/main.ts, src/signer/main.ts, src/cli/) import src/config/ and read ' +
      'process.env; services receive a Pick<Config, …> slice as a parameter (STYLE.md "Config").',
  },
  {
    target: ['src/!(api|cli)/**'],
    from: ['src/api', 'src/cli'],
    message:
      'No domain imports src/api/ or src/cli/: they are thin glue on top of the domains, never below ' +
      'them. Move the shared code into the domain (or lib/) and import it from there.',
  },
  {
    target: ['src/!(signer)/**', 'src/*.ts'],
    from: 'src/signer/main.ts',
    message:
      'src/signer/main.ts is the signer process root: the custody process is started as its own OS ' +
      'process, never imported into another one (DESIGN.md "Processes and trust boundaries"). Use the ' +
      'signer client.',
  },
  {
    target: ['src/!(cli)/**', 'src/!(main.ts)'],
    from: 'src/main.ts',
    message:
      'src/main.ts is the api process root: only the CLI may import it (to run the platform ' +
      "in-process); domains and api/ never import it. Use the domain's index.ts instead.",
  },
  {
    target: ['src/api'],
    from: 'src/cli',
    message: 'src/api/ never imports src/cli/: the CLI sits on top of the api and the domains, not below them.',
  },
  {
    target: ['web/src'],
    from: [`${root}/src/**`],
    // The sealing code is the one piece of src/ that must run in the browser: credentials are sealed to
    // the signer there (WebCrypto only, no Node imports), so both sides use the same implementation.
    except: [`${root}/src/**/*-types.ts`, `${root}/src/crypto/sealing.ts*`],
    message:
      'web/src may import from src/ only the shared schemas and types in `*-types.ts` files and the browser sealing code; everything ' +
      'else goes through the HTTP API (STYLE.md "Dependency direction": web → the API\'s schemas and types).',
  },
  ...Object.entries(mayImport).map(([domain, allowed]) => ({
    target: [`src/${domain}`],
    from: 'src',
    except: [...new Set([domain, ...allowed, ...crossCutting])],
    message:
      `src/${domain}/ may import only ` +
      (allowed.length ? allowed.map((d) => `${d}/`).join(', ') : 'itself (nothing else from src/)') +
      ` (DESIGN.md "May import"; STYLE.md "Dependency direction").` +
      (domainNote[domain] ? ` ${domainNote[domain]}` : ''),
  })),
]

// ---------------------------------------------------------------------------------------------
// Crypto rules for src/ (SECURITY.md R5, R8).
// ---------------------------------------------------------------------------------------------
const cipherCall = (fn) => `CallExpression:matches([callee.name=${fn}], [callee.property.name=${fn}])`

// True for a call with an argument that is an object literal (optionally `as const` / `satisfies …`)
// with the named property. Nested :has on purpose: esquery 1.7 does not match chained child
// combinators (`> A > B`) inside :has.
const hasInlineOption = (name) => {
  const objectWithKey = `ObjectExpression:has(> Property:matches([key.name='${name}'], [key.value='${name}']))`
  return (
    `:has(> ${objectWithKey}), ` +
    `:has(> :matches(TSAsExpression, TSSatisfiesExpression):has(> ${objectWithKey}))`
  )
}

const cryptoSyntaxRules = [
  {
    // R5: a decipher without a pinned tag length accepts truncated (e.g. 4-byte) GCM tags.
    selector: `${cipherCall("'createDecipheriv'")}:not(${hasInlineOption('authTagLength')})`,
    message:
      'createDecipheriv must pin the tag length inline: pass an options object literal with ' +
      '`authTagLength: 16` (SECURITY.md R5).',
  },
  {
    // R5: the pinned length is 16 bytes; a shorter literal tag length would weaken forgery resistance.
    selector: `Property:matches([key.name='authTagLength'], [key.value='authTagLength']) > Literal.value[value!=16]`,
    message: 'authTagLength must be 16 (SECURITY.md R5).',
  },
  {
    // R8: only AEAD ciphers (AES-256-GCM, ChaCha20-Poly1305); no unauthenticated ECB/CBC/CTR modes.
    selector: `${cipherCall('/^create(Dec|C)ipheriv$/')} > Literal.arguments:first-child[value=/-(ecb|cbc|ctr)$/i]`,
    message:
      'ECB/CBC/CTR are not authenticated: use AES-256-GCM or ChaCha20-Poly1305 via src/crypto (SECURITY.md R8).',
  },
  {
    selector:
      `${cipherCall('/^create(Dec|C)ipheriv$/')} > TemplateLiteral.arguments:first-child` +
      `[expressions.length=0] > TemplateElement[value.cooked=/-(ecb|cbc|ctr)$/i]`,
    message:
      'ECB/CBC/CTR are not authenticated: use AES-256-GCM or ChaCha20-Poly1305 via src/crypto (SECURITY.md R8).',
  },
  {
    // R8, allowlist side: any other literal algorithm (aliases such as 'aes256' = CBC, OFB, CFB, RC4,
    // 128-bit GCM, …). ECB/CBC/CTR names are left to the rule above so they are reported once.
    selector:
      `${cipherCall('/^create(Dec|C)ipheriv$/')} > Literal.arguments:first-child` +
      `[value=/^(?!(aes-256-gcm|chacha20-poly1305)$)(?!.*-(ecb|cbc|ctr)$)/i]`,
    message: 'Only aes-256-gcm and chacha20-poly1305 are approved ciphers (SECURITY.md R8).',
  },
]

const unusedVarsOptions = {
  args: 'after-used',
  argsIgnorePattern: '^_',
  varsIgnorePattern: '^_',
  caughtErrorsIgnorePattern: '^_',
  destructuredArrayIgnorePattern: '^_',
  ignoreRestSiblings: true,
}

// Node.js globals for plain .js/.mjs files (the `globals` package is not a dependency).
const nodeGlobals = Object.fromEntries(
  [
    'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder',
    'AbortController', 'AbortSignal', 'fetch', 'structuredClone', 'queueMicrotask',
    'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate',
  ].map((name) => [name, 'readonly']),
)

const tsFiles = [
  'src/**/*.ts',
  'test/**/*.ts',
  'bench/**/*.ts',
  'web/src/**/*.{ts,tsx}',
  '*.config.ts',
  'web/*.config.ts',
]

export default defineConfig([
  globalIgnores([
    'dist/',
    'web/dist/',
    'node_modules/',
    'coverage/',
    'src/db/migrations/',
    '.bulwark/',
    'test-results/',
  ]),

  // Plain JavaScript (eslint.config.js, scripts/*.mjs, bin/*.js, web/public/*.js).
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module' },
    rules: {
      'no-unused-vars': ['error', unusedVarsOptions],
    },
  },
  // Node scripts get Node globals; browser scripts in web/public declare theirs with /* global */.
  {
    files: ['**/*.{js,mjs,cjs}'],
    ignores: ['web/public/**'],
    languageOptions: { globals: nodeGlobals },
  },

  // TypeScript everywhere: typescript-eslint recommended (syntax only, no type information).
  {
    files: tsFiles,
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', unusedVarsOptions],
    },
  },

  // Import boundaries for the server code and the web app.
  {
    files: ['src/**/*.ts', 'web/src/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [nodeResolver, lexicalRelativeResolver],
      'import-x/extensions': ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: dependencyZones }],
    },
  },

  // Server code: crypto hygiene, no `any`, no stray console output.
  {
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message:
            'Math.random is not a CSPRNG: use the randomness helpers in src/crypto (crypto.randomBytes / ' +
            'randomInt) (SECURITY.md R8).',
        },
      ],
      'no-restricted-syntax': ['error', ...cryptoSyntaxRules],
    },
  },

  // Process roots may print (usage, fatal start-up errors, CLI output).
  {
    files: ['src/cli/**/*.ts', 'src/main.ts'],
    rules: { 'no-console': 'off' },
  },
])
