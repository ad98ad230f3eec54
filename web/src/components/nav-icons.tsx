import type { MainNavEntry } from '../lib/router'

/** 24×24 stroke icons for the main navigation: decoration beside the link's words, hidden from assistive technology. */
const paths: Record<MainNavEntry, string> = {
  home: 'M4 4h6.5v6.5H4zM13.5 4H20v6.5h-6.5zM4 13.5h6.5V20H4zM13.5 13.5H20V20h-6.5z',
  trade: 'M7 4v3m0 10v3m10-16v5m0 8v3M5 7h4v10H5zM15 9h4v8h-4z',
  bots: 'M12 3v3M6 6h12a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2ZM9 11v2m6-2v2M9 16h6',
  exchanges: 'M14.5 3.5a6 6 0 1 1-4.9 9.5L3 19.6V21h3v-2h2v-2h2l1.2-1.2M16 8h.01',
  demo: 'M9 3h6m-5 0v6l-5.2 9.1A2 2 0 0 0 6.5 21h11a2 2 0 0 0 1.7-2.9L14 9V3M7.5 15h9',
  activity: 'M3 12h4l3-8 4 16 3-8h4',
  audit: 'M6 3h9l4 4v14H6zM14 3v5h5M9 12h7M9 16h7',
  alerts: 'M6 10a6 6 0 1 1 12 0v4l2 3H4l2-3zM10 20a2 2 0 0 0 4 0',
  securityCenter: 'M12 3 20 6v6c0 4.5-3.4 8.3-8 9-4.6-.7-8-4.5-8-9V6zM9 12l2 2 4-4',
  team: 'M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7ZM3 20v-1a5 5 0 0 1 5-5h2a5 5 0 0 1 5 5v1M16 4.5a3.5 3.5 0 0 1 0 6.5M18 14a4.5 4.5 0 0 1 3 4.2V20',
  approvals: 'M8 11.5l2.5 2.5L16 8.5M12 3l1.8 1.3 2.2-.2.9 2 2 .9-.2 2.2L20 11l-1.3 1.8.2 2.2-2 .9-.9 2-2.2-.2L12 19l-1.8-1.3-2.2.2-.9-2-2-.9.2-2.2L4 11l1.3-1.8-.2-2.2 2-.9.9-2 2.2.2z',
  settings: 'M4 6h9m4 0h3M4 12h3m4 0h9M4 18h11m4 0h1M15 4v4M9 10v4M17 16v4',
}

export const NavIcon = ({ entry }: { entry: MainNavEntry }) => (
  <svg className="nav-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
    <path d={paths[entry]} fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" />
  </svg>
)
