import { join } from 'node:path'

/** Where embedded mode keeps things under BULWARK_HOME. */
export const homePaths = (home: string) => ({
  home,
  dbDir: join(home, 'db'),
  // In run/, not beside db/: Node 20's permission model mishandles grants for both `db` and `db.lock`.
  dbLock: join(home, 'run', 'db.lock'),
  runDir: join(home, 'run'),
  instanceLock: join(home, 'run', 'instance.lock'),
  adminSocket: join(home, 'run', 'admin.sock'),
  signerSocket: join(home, 'run', 'signer.sock'),
  signerOperatorSocket: join(home, 'run', 'signer-operator.sock'),
  vaultDir: join(home, 'vault'),
  secretsDir: join(home, 'secrets'),
})
export type HomePaths = ReturnType<typeof homePaths>
