export { createLogger, type Logger, type LevelName, type LoggerOptions } from "./logger.js"
export { parseLogLevel } from './level.js'
