/**
 * Whether an endpoint is lem's synthetic server (the test double): its /v1/models names `lem-synthetic` as owner.
 * Results measured against it must say `simulated: true` even when it is addressed as an external endpoint.
 */
export async function isSyntheticServer(baseUrl: string): Promise<boolean> {
  try {
    const r = await fetch(`${baseUrl.replace(/\/+$/, '')}/models`, { signal: AbortSignal.timeout(5_000) });
    if (!r.ok) return false;
    const doc = (await r.json()) as { data?: { owned_by?: unknown }[] };
    return Array.isArray(doc.data) && doc.data.some((m) => m.owned_by === 'lem-synthetic');
  } catch {
    return false;
  }
}
