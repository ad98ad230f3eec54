import { useCallback, useEffect, useState } from 'react'
import { ActionError } from '../../components/action-error'
import { useAction } from '../../lib/use-action'
import { useResource, type Resource } from '../../lib/use-resource'

export type Page<T> = { items: T[]; next: string | null }
export type PageLoad<T> = (cursor: string | undefined, signal: AbortSignal) => Promise<Page<T>>

/**
 * A keyset-paged list: the first page as a resource, older pages appended by a "show older" button.
 * A new `load` (other filters) starts again from the first page. `load` must be stable (useCallback).
 */
export const usePages = <T,>(load: PageLoad<T>) => {
  const first = useCallback((signal: AbortSignal) => load(undefined, signal), [load])
  const firstPage = useResource(first)
  const [older, setOlder] = useState<Page<T> | undefined>(undefined)
  const action = useAction()

  // Older pages belong to the first page they continue: a reload or a new filter drops them.
  useEffect(() => setOlder(undefined), [firstPage.resource])

  const resource: Resource<Page<T>> =
    firstPage.resource.status === 'success' && older !== undefined
      ? { ...firstPage.resource, data: { items: [...firstPage.resource.data.items, ...older.items], next: older.next } }
      : firstPage.resource
  const next = resource.status === 'success' ? resource.data.next : null

  const showOlder = () => {
    if (next === null) return
    void action.run(async () => {
      const page = await load(next, new AbortController().signal)
      setOlder((previous) => ({ items: [...(previous?.items ?? []), ...page.items], next: page.next }))
    })
  }

  const moreButton = (label: string) =>
    next === null ? null : (
      <div className="stack mon-more">
        <ActionError action={action} />
        <div className="form__actions">
          <button type="button" className="button button--secondary" onClick={showOlder} disabled={action.isBusy}>
            {action.isBusy ? 'Loading…' : label}
          </button>
        </div>
      </div>
    )

  return { resource, reload: firstPage.reload, moreButton }
}
