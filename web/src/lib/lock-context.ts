import { createContext, useContext } from 'react'

/**
 * Whether the workspace on screen is locked down (the shell knows and keeps it current over the live
 * stream). Pages hide what could only be refused with WORKSPACE_LOCKED — new bots, new trades, lifting
 * the halt — and say why, instead of offering a form that must fail.
 */
export const WorkspaceLockContext = createContext(false)

export const useWorkspaceLocked = (): boolean => useContext(WorkspaceLockContext)
