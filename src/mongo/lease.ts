/**
 * Term leases: "exactly one process does X in each period", on MongoDB and FerretDB alike.
 *
 * Time is cut into terms of `termMs`; term n is held by whoever first inserts the document
 * `<name>:<n>` into `leases`. An insert with a given `_id` is atomic on both servers, whereas a
 * conditional update (the usual `findOneAndUpdate` on an expired lease) is not on FerretDB, which
 * applies it as read-then-write: two replicas could both take an expired lease. A holder works only
 * until its term ends minus `marginMs` (allowance for clock skew between pods), then claims again —
 * a replica that has stopped simply stops claiming, and another takes the next term.
 */
import type { Db } from 'mongodb';
import { isDuplicateKey } from './errors.js';

export const LEASES_COLLECTION = 'leases';

export interface LeaseDoc {
  _id: string;
  name: string;
  holder: string;
  term: number;
  expires_at: Date;
  created_at: Date;
}

export interface HeldTerm {
  readonly term: number;
  /** Work must stop by then, milliseconds since the epoch (term end minus the margin). */
  readonly workUntilMs: number;
}

export interface TermLeaseOptions {
  readonly name: string;
  /** Who claims (pod name, pid…); logged, stored on the lease. */
  readonly holder: string;
  /** Term length, milliseconds. */
  readonly termMs: number;
  /** Stop this long before the term ends, milliseconds. @default a tenth of the term */
  readonly marginMs?: number;
}

/** Claims the current term; null when another process holds it. */
export async function claimTerm(db: Db, opts: TermLeaseOptions, now: Date): Promise<HeldTerm | null> {
  const term = Math.floor(now.getTime() / opts.termMs);
  const endMs = (term + 1) * opts.termMs;
  const workUntilMs = endMs - (opts.marginMs ?? Math.floor(opts.termMs / 10));
  if (now.getTime() >= workUntilMs) return null;
  const col = db.collection<LeaseDoc>(LEASES_COLLECTION);
  try {
    await col.insertOne({
      _id: `${opts.name}:${term}`,
      name: opts.name,
      holder: opts.holder,
      term,
      expires_at: new Date(endMs),
      created_at: now,
    });
    return { term, workUntilMs };
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const existing = await col.findOne({ _id: `${opts.name}:${term}` });
    return existing?.holder === opts.holder ? { term, workUntilMs } : null;
  }
}
