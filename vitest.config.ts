import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Two cores here; PGlite instances are memory-hungry, so at most two files at once.
    maxWorkers: 2,
    // End-to-end suites start real processes; on a loaded 2-core machine 30 s was not always enough.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // Browser suites wait for pages with expect.poll: 1 s (the default) is a wait too short for a loaded
    // 2-core machine, where a claim hashing a password can take longer. A wait, not a timing assertion.
    expect: { poll: { timeout: 10_000 } },
    reporters: ['default'],
  },
})
