import { existsSync, readdirSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { appendLineDurable, writeFileAtomic } from '../core/atomic-file.js';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { applyRecord, JournalRecord, Manifest, type CampaignStatus, type EntryPatch, type ManifestEntry } from './manifest.js';

export const MANIFEST_FILE = 'manifest.json';
export const JOURNAL_FILE = 'journal.jsonl';

/**
 * Durable manifest: every change is appended to journal.jsonl (fsynced) and then folded into manifest.json,
 * rewritten atomically. A crash between the two loses nothing: loading replays journal records newer than
 * the snapshot. A torn final journal line (a crash mid-append) is ignored, because its change never happened.
 */
export class ManifestStore {
  private constructor(
    readonly dir: string,
    private manifest: Manifest,
    /** Byte length of the journal without a torn last line, which the next append must not be glued onto. */
    private tornAt?: number,
  ) {}

  static campaignDir(stateDir: string, campaignId: string): string {
    return join(stateDir, 'campaigns', campaignId);
  }

  static create(dir: string, initial: Manifest): ManifestStore {
    writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(initial, null, 2));
    return new ManifestStore(dir, initial);
  }

  static load(dir: string): Result<ManifestStore> {
    const file = join(dir, MANIFEST_FILE);
    if (!existsSync(file)) return err(lemError(ErrorCode.CAMPAIGN_NOT_FOUND, `no campaign manifest at ${file}`));
    let manifest: Manifest;
    try {
      const parsed = Manifest.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!parsed.success) return err(lemError(ErrorCode.STATE_CORRUPT, `${file} is not a valid manifest: ${parsed.error.issues[0]?.message}`));
      manifest = parsed.data;
    } catch (e) {
      return err(lemError(ErrorCode.STATE_CORRUPT, `${file} cannot be read: ${(e as Error).message}`));
    }
    const journal = join(dir, JOURNAL_FILE);
    let tornAt: number | undefined;
    if (existsSync(journal)) {
      const lines = readFileSync(journal, 'utf8').split('\n');
      for (const [i, line] of lines.entries()) {
        if (!line.trim()) continue;
        let rec: JournalRecord;
        try {
          rec = JournalRecord.parse(JSON.parse(line));
        } catch (e) {
          if (i === lines.length - 1) {
            // Torn last line (no newline: every record is written with its newline in one write): the change it
            // describes never completed. A complete line that does not parse is corruption, reported below.
            tornAt = Buffer.byteLength(lines.slice(0, i).map((l) => l + '\n').join(''));
            break;
          }
          return err(lemError(ErrorCode.STATE_CORRUPT, `${journal}:${i + 1}: unreadable journal record: ${(e as Error).message}`));
        }
        if (rec.seq > manifest.seq) manifest = applyRecord(manifest, rec);
      }
    }
    return ok(new ManifestStore(dir, manifest, tornAt));
  }

  get current(): Manifest {
    return this.manifest;
  }

  entry(id: string) {
    const e = this.manifest.experiments.find((x) => x.id === id);
    if (!e) throw new Error(`experiment ${id} is not in campaign ${this.manifest.campaign_id}`);
    return e;
  }

  update(id: string, patch: EntryPatch): void {
    this.commit({ seq: this.manifest.seq + 1, ts: new Date().toISOString(), id, patch });
  }

  /**
   * Adds experiments to the campaign in one journal record, so a crash leaves either all of them or none.
   * Ids must be new: an experiment is never planned twice.
   */
  appendExperiments(entries: readonly ManifestEntry[]): Result<void> {
    if (entries.length === 0) return ok(undefined);
    const known = new Set(this.manifest.experiments.map((e) => e.id));
    for (const e of entries) {
      if (known.has(e.id)) return err(lemError(ErrorCode.STATE_CORRUPT, `experiment ${e.id} is already in campaign ${this.manifest.campaign_id}`));
      known.add(e.id);
    }
    this.commit({ seq: this.manifest.seq + 1, ts: new Date().toISOString(), append: [...entries] });
    return ok(undefined);
  }

  setStatus(status: CampaignStatus): void {
    this.commit({ seq: this.manifest.seq + 1, ts: new Date().toISOString(), campaign_status: status });
  }

  private commit(rec: JournalRecord): void {
    // Cut a torn last line off only when writing: read-only commands (status, list) load without changing files.
    if (this.tornAt !== undefined) {
      truncateSync(join(this.dir, JOURNAL_FILE), this.tornAt);
      this.tornAt = undefined;
    }
    appendLineDurable(join(this.dir, JOURNAL_FILE), JSON.stringify(rec));
    this.manifest = applyRecord(this.manifest, rec);
    writeFileAtomic(join(this.dir, MANIFEST_FILE), JSON.stringify(this.manifest, null, 2));
  }
}

export function listCampaignIds(stateDir: string): string[] {
  const root = join(stateDir, 'campaigns');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, MANIFEST_FILE)))
    .map((d) => d.name)
    .sort();
}
