/**
 * Fault points: the one way crash tests reach inside the platform.
 *
 * `faultPoint('name')` does nothing unless the process root armed that name from configuration
 * (BULWARK_FAULT_POINTS, e.g. `connect.after-share-1:exit,migrate.before-commit:throw`). There are no
 * other test-only branches in `src/`.
 */
export type FaultAction = 'throw' | 'exit' | 'kill'

const armed = new Map<string, FaultAction>()

export class FaultInjected extends Error {
  constructor(readonly point: string) {
    super(`fault injected at ${point}`)
    this.name = 'FaultInjected'
  }
}

/** Parses `name[:action],…`; returns the problems instead of throwing so config can list them all. */
export const parseFaultPoints = (spec: string): { points: Map<string, FaultAction>; problems: string[] } => {
  const points = new Map<string, FaultAction>()
  const problems: string[] = []
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name = '', action = 'throw'] = raw.split(':')
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) problems.push(`"${raw}" is not a fault point name`)
    else if (action !== 'throw' && action !== 'exit' && action !== 'kill') problems.push(`"${raw}": action must be throw, exit or kill`)
    else points.set(name, action)
  }
  return { points, problems }
}

/** Called by process roots only. */
export const armFaultPoints = (points: ReadonlyMap<string, FaultAction>): void => {
  armed.clear()
  for (const [name, action] of points) armed.set(name, action)
}

export const faultPoint = (name: string): void => {
  const action = armed.get(name)
  if (action === undefined) return
  if (action === 'throw') throw new FaultInjected(name)
  // 'exit' ends the process without cleanup handlers; 'kill' is an uncatchable crash.
  if (action === 'exit') process.exit(86)
  process.kill(process.pid, 'SIGKILL')
}
