export { createDemoEngine, restoreDemoEngine, projectEvents, toOrderView, defaultEngineDefaults, type DemoEngine, type DemoEngineInput, type DemoCommandResult } from './engine.js'
export { DemoRejection, rejectionTypes, type DemoRejectReason, type DemoErrorType } from './rejection.js'
export { defaultTiers } from './engine-state.js'
export type * from './engine-types.js'
