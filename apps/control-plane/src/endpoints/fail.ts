import { DaoError } from '@switchyard/db'
import type { KongError } from '@switchyard/entities'

/** Aborts the current handler (and transaction) with a Kong DAO error. */
export function fail(err: KongError): never {
  throw new DaoError(err)
}
