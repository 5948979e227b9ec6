import { MemoryAiStore } from './memory-ai-store.js'
import { runAiStoreSuite } from './ai-store.case.test.js'

runAiStoreSuite('memory', async () => new MemoryAiStore())
