import { join } from 'node:path'

/** Where embedded mode keeps things under BULWARK_HOME. */
export const homePaths = (home: string) => ({
  home,
  dbDir: join(home, 'db'),
  dbLock: join(home, 'db.lock'),
  runDir: join(home, 'run'),
  instanceLock: join(home, 'run', 'instance.lock'),
  adminSocket: join(home, 'run', 'admin.sock'),
  secretsDir: join(home, 'secrets'),
})
export type HomePaths = ReturnType<typeof homePaths>
