import { randomBytes } from 'node:crypto';

/** `<name>-<UTC timestamp>-<4 hex>`: sortable by time, unique, and safe as a folder name. */
export function newCampaignId(name: string, now: Date = new Date()): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'campaign';
  const ts = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${slug}-${ts}-${randomBytes(2).toString('hex')}`;
}

/**
 * What a campaign id may look like: it names a folder under .state/campaigns, so no path separators, no `..`,
 * no leading dot, and a bounded length. Every id lem makes (newCampaignId) matches.
 */
const CAMPAIGN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isCampaignId(id: string): boolean {
  return CAMPAIGN_ID.test(id) && !id.includes('..');
}

export const CAMPAIGN_ID_RULE = 'letters, digits, ".", "_" and "-" (no path separators, no "..", at most 128)';
