/** The bot runtime's public surface (README.md "runtime/"). */
export { createBotRuntime, type BotRuntime, type BotRuntimeDeps, type BotRunView, type Timers } from './bot-runtime.js'
export { machineStateOf, isRuntimeState, type RuntimeState } from './runtime-state.js'
export { createBotQueue, type BotQueue } from './bot-queue.js'
