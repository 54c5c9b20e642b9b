import { randomBytes } from 'node:crypto';

/** `<name>-<UTC timestamp>-<4 hex>`: sortable by time, unique, and safe as a folder name. */
export function newCampaignId(name: string, now: Date = new Date()): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'campaign';
  const ts = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${slug}-${ts}-${randomBytes(2).toString('hex')}`;
}
