/** Lifecycle of a backend container as lem sees it (testcontainers style: states as types). */
export type ContainerState =
  | { readonly kind: 'absent' }
  | { readonly kind: 'stopped'; readonly exitCode: number; readonly oomKilled: boolean }
  | { readonly kind: 'starting'; readonly id: string }
  /**
   * `checkedBy: 'lem'`: Docker still reports `starting` (its first check comes one interval after start), but lem
   * ran the same health check in this start of the container and it passed.
   */
  | { readonly kind: 'healthy'; readonly id: string; readonly checkedBy: 'docker' | 'lem' }
  | { readonly kind: 'unhealthy'; readonly id: string; readonly lastCheck: string | undefined }
  | { readonly kind: 'running'; readonly id: string }; // running, no healthcheck defined

export function isUsable(s: ContainerState): boolean {
  return s.kind === 'healthy' || s.kind === 'running';
}

/** The container process is up (whatever its health); the opposite of having died. */
export function isAlive(s: ContainerState): boolean {
  return s.kind !== 'absent' && s.kind !== 'stopped';
}

/** Said wherever lem reports a container healthy on its own check, so `backends up` and `status` agree. */
export const LEM_CHECKED = "lem's health check passed; Docker's own first check is pending";

export function describeState(s: ContainerState): string {
  switch (s.kind) {
    case 'absent':
      return 'not created';
    case 'stopped':
      return `stopped (exit code ${s.exitCode}${s.oomKilled ? ', killed for memory' : ''})`;
    case 'starting':
      return 'starting (no health check has passed yet)';
    case 'healthy':
      return s.checkedBy === 'lem' ? `healthy (${LEM_CHECKED})` : 'healthy';
    case 'unhealthy':
      return `unhealthy${s.lastCheck ? `: ${s.lastCheck.trim()}` : ''}`;
    case 'running':
      return 'running';
  }
}
