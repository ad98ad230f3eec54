export { createWorkspaceChanges, changedTopics, type WorkspaceChanges, type WorkspaceChangesDeps, type LiveChange, type LiveListener } from './workspace-changes.js'
export { liveTopics, type LiveTopic } from './live-types.js'
