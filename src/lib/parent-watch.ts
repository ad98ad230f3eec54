/**
 * Children of `bulwark start` stop when the supervisor is gone (even killed with SIGKILL, which it cannot
 * pass on): a process whose parent changed has been orphaned, and nobody would stop or restart it.
 */
export const whenOrphaned = (onOrphaned: () => void, intervalMs = 500): void => {
  const parent = process.ppid
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer)
      onOrphaned()
    }
  }, intervalMs)
  timer.unref()
}
