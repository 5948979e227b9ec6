import { runHealthStoreSuite } from './store.case.test.js'
import { MemoryHealthStore } from './memory-store.js'

// One shared instance per test mirrors one process; the suite closes it at the end of each test.
runHealthStoreSuite('memory', async () => new MemoryHealthStore())
