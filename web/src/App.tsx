import { useState } from 'react'
import { fetchSetupStatus } from './api/setup/queries'
import { fetchReadiness, fetchVersion } from './api/system/queries'
import { AppHeader } from './components/app-header'
import { READINESS_REFRESH_MS, ReadinessPanel } from './components/readiness-panel'
import type { ClaimedInstance } from './components/setup-form'
import { SetupSection } from './components/setup-section'
import { useResource } from './lib/use-resource'

const readinessOptions = { refreshMs: READINESS_REFRESH_MS }

export const App = () => {
  const version = useResource(fetchVersion)
  const readiness = useResource(fetchReadiness, readinessOptions)
  const setup = useResource(fetchSetupStatus)
  const [claimed, setClaimed] = useState<ClaimedInstance | undefined>(undefined)

  return (
    <div className="app">
      <AppHeader version={version.resource} />
      <main className="app-main">
        <ReadinessPanel readiness={readiness.resource} onRecheck={readiness.reload} />
        <SetupSection setup={setup.resource} claimed={claimed} onClaimed={setClaimed} onRetry={setup.reload} />
      </main>
    </div>
  )
}
