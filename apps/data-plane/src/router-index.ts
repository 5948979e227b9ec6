// The router's lookup structure, changed in place one entry at a time: every compiled entry in
// priority order (byPriority, a total order: it ends with route id and path position), each with
// a rank that orders it; the entries reachable only through one of their plain hosts listed per
// host, and every other entry in one list, both in rank order, so match() merges a request's host
// list with the unpinned one by comparing ranks. Inserting or removing an entry costs binary
// searches and array splices (a memmove), never a pass over the other entries: a new entry's
// rank is halfway between its neighbours' (ranks are spaced RANK_GAP apart to begin with), and
// only when two neighbours' ranks leave no room does a renumbering touch every entry.

import { byPriority, type Entry } from './route-entry.js'

/** An entry and its position in priority order (a smaller rank comes first). */
export interface RankedEntry {
  readonly entry: Entry
  rank: number
}

const RANK_GAP = 1024
const NO_ENTRIES: readonly RankedEntry[] = []

export class RouterIndex {
  /** Every entry in priority order. */
  private all: RankedEntry[] = []
  private readonly byHost = new Map<string, RankedEntry[]>()
  private unpinnedList: RankedEntry[] = []

  /** An index over entries already in priority order. */
  static of(entries: readonly Entry[]): RouterIndex {
    const index = new RouterIndex()
    index.reset(entries)
    return index
  }

  /** Replaces every entry by these, already in priority order. */
  reset(entries: readonly Entry[]): void {
    this.all = entries.map((entry, i) => ({ entry, rank: i * RANK_GAP }))
    this.byHost.clear()
    this.unpinnedList = []
    for (const ranked of this.all) {
      if (!pinned(ranked.entry)) this.unpinnedList.push(ranked)
      else for (const host of ranked.entry.anyPortHosts) {
        const list = this.byHost.get(host)
        if (list === undefined) this.byHost.set(host, [ranked])
        else list.push(ranked)
      }
    }
  }

  /** The entries whose plain hosts include this one, in rank order. */
  pinnedTo(host: string): readonly RankedEntry[] {
    return this.byHost.get(host) ?? NO_ENTRIES
  }

  /** The entries that pin no host, or some by a rule other than a plain name, in rank order. */
  get unpinned(): readonly RankedEntry[] {
    return this.unpinnedList
  }

  /** Every entry in priority order. */
  entries(): Entry[] {
    return this.all.map((r) => r.entry)
  }

  get size(): number {
    return this.all.length
  }

  insert(entry: Entry): void {
    const at = lowerBound(this.all, entry)
    const before = at > 0 ? this.all[at - 1]!.rank : undefined
    const after = at < this.all.length ? this.all[at]!.rank : undefined
    let rank =
      before === undefined ? (after === undefined ? 0 : after - RANK_GAP) : after === undefined ? before + RANK_GAP : (before + after) / 2
    const ranked: RankedEntry = { entry, rank }
    this.all.splice(at, 0, ranked)
    if ((before !== undefined && rank <= before) || (after !== undefined && rank >= after)) {
      // No room left between the neighbours: space every rank out again (the lists keep their
      // order, as ranks are renumbered in the order they already had).
      this.all.forEach((r, i) => (r.rank = i * RANK_GAP))
      rank = ranked.rank
    }
    if (!pinned(entry)) insertByRank(this.unpinnedList, ranked)
    else for (const host of entry.anyPortHosts) {
      const list = this.byHost.get(host)
      if (list === undefined) this.byHost.set(host, [ranked])
      else insertByRank(list, ranked)
    }
  }

  /** Removes an entry inserted before (the same object). */
  remove(entry: Entry): void {
    const at = lowerBound(this.all, entry)
    const ranked = this.all[at]
    if (ranked === undefined || ranked.entry !== entry) return
    this.all.splice(at, 1)
    if (!pinned(entry)) removeByRank(this.unpinnedList, ranked)
    else for (const host of entry.anyPortHosts) {
      const list = this.byHost.get(host)
      if (list === undefined) continue
      removeByRank(list, ranked)
      if (list.length === 0) this.byHost.delete(host)
    }
  }
}

/** Reachable only through one of its plain hosts (so it is listed under each of them). */
function pinned(entry: Entry): boolean {
  return entry.hasHosts && entry.hostRules.length === 0
}

/** The first position whose entry does not come before `entry`. */
function lowerBound(list: readonly RankedEntry[], entry: Entry): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (byPriority(list[mid]!.entry, entry) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

function rankBound(list: readonly RankedEntry[], rank: number): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (list[mid]!.rank < rank) lo = mid + 1
    else hi = mid
  }
  return lo
}

function insertByRank(list: RankedEntry[], ranked: RankedEntry): void {
  list.splice(rankBound(list, ranked.rank), 0, ranked)
}

function removeByRank(list: RankedEntry[], ranked: RankedEntry): void {
  const at = rankBound(list, ranked.rank)
  if (list[at] === ranked) list.splice(at, 1)
}
