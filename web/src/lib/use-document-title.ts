import { useEffect } from 'react'
import { documentTitle, type Route } from './router'

/** Keeps the tab's title on the current page ("Security · Bulwark"). */
export const useDocumentTitle = (route: Route): void => {
  const title = documentTitle(route)
  useEffect(() => {
    document.title = title
  }, [title])
}
