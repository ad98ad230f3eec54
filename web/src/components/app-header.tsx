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

type Props = {
  version: Resource<VersionInfo>
  /** The signed-in person's email and Sign out, beside the theme toggle. */
  account?: ReactNode
  /** The main navigation, on its own row below. */
  nav?: ReactNode
}

export const AppHeader = ({ version, account, nav }: Props) => (
  <header className="app-header">
    <div className="app-header__bar">
      <div className="brand">
        <ShieldMark className="brand__mark" />
        <h1 className="brand__name">Bulwark</h1>
        <VersionLabel version={version} />
      </div>
      <div className="app-header__tools">
        {account}
        <ThemeToggle />
      </div>
    </div>
    {nav}
  </header>
)
