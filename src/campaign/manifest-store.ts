import { existsSync, readdirSync, readFileSync, truncateSync } from 'node:fs';
import { basename, join } from 'node:path';
import { appendLineDurable, StateWriteError, writeFileAtomic } from '../core/atomic-file.js';
import { ErrorCode, LemFailure, lemError, type LemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { CAMPAIGN_ID_RULE, isCampaignId } from './campaign-id.js';
import { readJournal } from './journal.js';
import { Manifest, type CampaignStatus, type EntryPatch, type JournalRecord, type ManifestEntry } from './manifest.js';
import { manifestBeforeJournal } from './manifest-rebuild.js';
import { loadPlan, PLAN_FILE } from './stored-plan.js';

export const MANIFEST_FILE = 'manifest.json';
export const JOURNAL_FILE = 'journal.jsonl';

/** When the snapshot is rewritten: after this many events (or one per experiment, if more) or this long. */
const SNAPSHOT_MIN_EVENTS = 200;
const SNAPSHOT_MAX_AGE_MS = 5_000;

export interface LoadOptions {
  /** Where a note about a rebuilt manifest goes (default: stderr). */
  readonly warn?: (message: string) => void;
}

/**
 * Durable manifest. journal.jsonl is the source of truth: every change is appended to it and fsynced before the
 * call returns. manifest.json is a snapshot of the state after journal record `seq`, rewritten atomically every
 * so many events (at least one per experiment in the campaign, so its cost per event stays constant), on every
 * campaign status change and on flush(). Loading folds the journal records newer than the snapshot into it;
 * a snapshot that is missing or unreadable is rebuilt from plan.json and the whole journal.
 */
export class ManifestStore {
  /** Position of each experiment in manifest.experiments: lookups by id are O(1). */
  private readonly index = new Map<string, number>();
  private unsnapshotted = 0;
  private snapshotAt = Date.now();

  private constructor(
    readonly dir: string,
    private readonly manifest: Manifest,
    /** Byte length of the journal without a torn last line, which the next append must not be glued onto. */
    private tornAt: number | undefined,
    /** Journal records not yet in manifest.json (a stale or rebuilt snapshot): written at the next flush. */
    pending: number,
  ) {
    this.unsnapshotted = pending;
  }

  static campaignDir(stateDir: string, campaignId: string): string {
    if (!isCampaignId(campaignId)) throw new LemFailure(badId(campaignId));
    return join(stateDir, 'campaigns', campaignId);
  }

  /** Opens campaign `campaignId` of a state folder; an id that could name a folder elsewhere is refused. */
  static open(stateDir: string, campaignId: string, opts: LoadOptions = {}): Result<ManifestStore> {
    if (!isCampaignId(campaignId)) return err(badId(campaignId));
    return ManifestStore.load(join(stateDir, 'campaigns', campaignId), opts);
  }

  static create(dir: string, initial: Manifest): ManifestStore {
    const store = ManifestStore.fromManifest(dir, structuredClone(initial), undefined, 0);
    if (!store.ok) throw new LemFailure(store.error);
    store.value.mustSnapshot();
    return store.value;
  }

  static load(dir: string, opts: LoadOptions = {}): Result<ManifestStore> {
    const journal = readJournal(join(dir, JOURNAL_FILE));
    if (!journal.ok) return journal;
    const { records, tornAt } = journal.value;
    const snapshot = readSnapshot(join(dir, MANIFEST_FILE));
    let manifest: Manifest;
    if (snapshot.ok) manifest = snapshot.value;
    else {
      // The journal holds every change since the campaign was created: with plan.json it gives the manifest back.
      const plan = existsSync(join(dir, PLAN_FILE)) ? loadPlan(dir) : undefined;
      if (!plan) return snapshot;
      if (!plan.ok) return err({ ...snapshot.error, message: `${snapshot.error.message}; and ${plan.error.message}` });
      manifest = manifestBeforeJournal(
        basename(dir),
        plan.value,
        records.map((r) => r.rec),
      );
      const how = `rebuilt from ${PLAN_FILE} and ${JOURNAL_FILE} (${records.length} records)`;
      (opts.warn ?? warnOnStderr)(`${snapshot.error.message}: ${how}`);
    }
    const store = ManifestStore.fromManifest(dir, manifest, tornAt, snapshot.ok ? 0 : 1);
    if (!store.ok) return store;
    for (const { rec, line } of records) {
      if (rec.seq <= store.value.manifest.seq) continue;
      const applied = store.value.apply(rec);
      if (!applied.ok) {
        return err(lemError(ErrorCode.STATE_CORRUPT, `${join(dir, JOURNAL_FILE)}:${line}: ${applied.error.message}`));
      }
      store.value.unsnapshotted++;
    }
    return store;
  }

  private static fromManifest(
    dir: string,
    m: Manifest,
    tornAt: number | undefined,
    pending: number,
  ): Result<ManifestStore> {
    const file = join(dir, MANIFEST_FILE);
    if (!isCampaignId(m.campaign_id)) {
      const why = `${file}: campaign_id "${m.campaign_id}" is not a campaign id (${CAMPAIGN_ID_RULE})`;
      return err(lemError(ErrorCode.STATE_CORRUPT, why));
    }
    const store = new ManifestStore(dir, m, tornAt, pending);
    for (const [i, e] of m.experiments.entries()) {
      if (store.index.has(e.id)) {
        return err(lemError(ErrorCode.STATE_CORRUPT, `${file}: experiment ${e.id} is listed twice`));
      }
      store.index.set(e.id, i);
    }
    return ok(store);
  }

  get current(): Manifest {
    return this.manifest;
  }

  entry(id: string): ManifestEntry {
    const i = this.index.get(id);
    if (i === undefined) throw new Error(`experiment ${id} is not in campaign ${this.manifest.campaign_id}`);
    return this.manifest.experiments[i]!;
  }

  update(id: string, patch: EntryPatch): void {
    this.entry(id); // an unknown id is a programming error, thrown before anything is journalled
    this.commit({ seq: this.manifest.seq + 1, ts: new Date().toISOString(), id, patch }, false);
  }

  /**
   * Adds experiments to the campaign in one journal record, so a crash leaves either all of them or none.
   * Ids must be new: an experiment is never planned twice.
   */
  appendExperiments(entries: readonly ManifestEntry[]): Result<void> {
    if (entries.length === 0) return ok(undefined);
    const fresh = new Set<string>();
    for (const e of entries) {
      if (this.index.has(e.id) || fresh.has(e.id)) {
        const why = `experiment ${e.id} is already in campaign ${this.manifest.campaign_id}`;
        return err(lemError(ErrorCode.STATE_CORRUPT, why));
      }
      fresh.add(e.id);
    }
    try {
      this.commit({ seq: this.manifest.seq + 1, ts: new Date().toISOString(), append: [...entries] }, true);
    } catch (e) {
      if (e instanceof StateWriteError) return err(e.error);
      throw e;
    }
    return ok(undefined);
  }

  setStatus(status: CampaignStatus): void {
    this.commit({ seq: this.manifest.seq + 1, ts: new Date().toISOString(), campaign_status: status }, true);
  }

  /**
   * Writes the snapshot now if it is behind the journal. Nothing is lost without it (the journal has every
   * change); it keeps loading fast and manifest.json current for readers of the file itself.
   */
  flush(): Result<void> {
    if (this.unsnapshotted === 0) return ok(undefined);
    const r = writeFileAtomic(join(this.dir, MANIFEST_FILE), JSON.stringify(this.manifest, null, 2));
    if (r.ok) {
      this.unsnapshotted = 0;
      this.snapshotAt = Date.now();
    }
    return r;
  }

  /** The change is durable once it is in the journal; a failed append throws and changes nothing in memory. */
  private commit(rec: JournalRecord, snapshotNow: boolean): void {
    // Cut a torn last line off only when writing: read-only commands (status, list) load without changing files.
    const journal = join(this.dir, JOURNAL_FILE);
    if (this.tornAt !== undefined) {
      try {
        truncateSync(journal, this.tornAt);
      } catch (e) {
        const why = `cannot cut the torn last line off ${journal}: ${(e as Error).message}`;
        throw new StateWriteError(lemError(ErrorCode.STATE_WRITE, why));
      }
      this.tornAt = undefined;
    }
    const appended = appendLineDurable(journal, JSON.stringify(rec));
    if (!appended.ok) throw new StateWriteError(appended.error);
    const applied = this.apply(rec);
    if (!applied.ok) throw new LemFailure(applied.error);
    this.unsnapshotted++;
    const due = this.unsnapshotted >= Math.max(SNAPSHOT_MIN_EVENTS, this.manifest.experiments.length);
    // A snapshot that cannot be written now is written at a later event: the journal already holds the change.
    if (snapshotNow || due || Date.now() - this.snapshotAt > SNAPSHOT_MAX_AGE_MS) this.flush();
  }

  private mustSnapshot(): void {
    this.unsnapshotted = Math.max(1, this.unsnapshotted);
    const r = this.flush();
    if (!r.ok) throw new StateWriteError(r.error);
  }

  /** Folds one record into the manifest in place: O(1) for an entry patch, O(added) for an append. */
  private apply(r: JournalRecord): Result<void, LemError> {
    const m = this.manifest;
    if ('id' in r) {
      const i = this.index.get(r.id);
      if (i === undefined) {
        const why = `record ${r.seq} changes experiment ${r.id}, which is not in the campaign`;
        return err(lemError(ErrorCode.STATE_CORRUPT, why));
      }
      // A new entry object, not a mutation: an entry a caller holds keeps the values it had.
      m.experiments[i] = { ...m.experiments[i]!, ...r.patch };
    } else if ('append' in r) {
      for (const e of r.append) {
        if (this.index.has(e.id)) {
          return err(lemError(ErrorCode.STATE_CORRUPT, `record ${r.seq} adds experiment ${e.id} a second time`));
        }
        this.index.set(e.id, m.experiments.length);
        m.experiments.push(e);
      }
    } else m.status = r.campaign_status;
    m.seq = r.seq;
    m.updated_at = r.ts;
    return ok(undefined);
  }
}

function badId(id: string): LemError {
  return lemError(ErrorCode.USAGE, `"${id}" is not a campaign id: ${CAMPAIGN_ID_RULE}`, {
    hint: 'list campaigns with: lem campaign list',
  });
}

function warnOnStderr(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

function readSnapshot(file: string): Result<Manifest> {
  if (!existsSync(file)) return err(lemError(ErrorCode.CAMPAIGN_NOT_FOUND, `no campaign manifest at ${file}`));
  try {
    const parsed = Manifest.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      const why = `${file} is not a valid manifest: ${parsed.error.issues[0]?.message}`;
      return err(lemError(ErrorCode.STATE_CORRUPT, why));
    }
    return ok(parsed.data);
  } catch (e) {
    return err(lemError(ErrorCode.STATE_CORRUPT, `${file} cannot be read: ${(e as Error).message}`));
  }
}

/** Campaign folders of a state folder, by id. A folder with a manifest, a plan or a journal counts. */
export function listCampaignIds(stateDir: string): string[] {
  const root = join(stateDir, 'campaigns');
  if (!existsSync(root)) return [];
  const marks = [MANIFEST_FILE, PLAN_FILE, JOURNAL_FILE];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && isCampaignId(d.name) && marks.some((f) => existsSync(join(root, d.name, f))))
    .map((d) => d.name)
    .sort();
}
