export * from './approval-types.js'
