import type { ReactNode } from 'react'
import type { VersionInfo } from '../api/system/queries'
import type { Resource } from '../lib/use-resource'
import { ShieldMark } from './shield-mark'
import { Skeleton } from './skeleton'
import { ThemeToggle } from './theme-toggle'

const VersionLabel = ({ version }: { version: Resource<VersionInfo> }) => {
  switch (version.status) {
    case 'loading':
      return (
        <span className="brand__version">
          <Skeleton width="xs" />
          <span className="visually-hidden">Loading version</span>
        </span>
      )
    case 'error':
      return <span className="brand__version brand__version--unknown">version unknown</span>
    case 'success':
      return <span className="brand__version">v{version.data.version}</span>
  }
}

/** The product's name, mark and version; used by both shells. */
export const Brand = ({ version }: { version: Resource<VersionInfo> }) => (
  <div className="brand">
    <ShieldMark className="brand__mark" />
    <h1 className="brand__name">Bulwark</h1>
    <VersionLabel version={version} />
  </div>
)

type Props = {
  version: Resource<VersionInfo>
  /** Before the brand: the Menu button of the narrow-screen navigation. */
  menu?: ReactNode
  /** After the brand: what the pages are about (the workspace picker). */
  context?: ReactNode
  /** At the end, before the theme toggle: connection state, the lockdown button, the account. */
  tools?: ReactNode
}

/** The signed-in header bar, across the top of the page. */
export const AppHeader = ({ version, menu, context, tools }: Props) => (
  <header className="app-header">
    <div className="app-header__start">
      {menu}
      <Brand version={version} />
      {context}
    </div>
    <div className="app-header__tools">
      {tools}
      <ThemeToggle />
    </div>
  </header>
)
