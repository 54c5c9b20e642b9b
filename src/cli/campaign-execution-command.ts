import { Option } from 'clipanion';
import { ok, type Result } from '../core/result.js';
import { LemCommand } from './base-command.js';
import { DEFAULT_HEALTH_TIMEOUT_S, parseHealthTimeout } from './defaults.js';

/** How a campaign command runs the campaign once it has one (run-support's runCampaignCommand options). */
export interface ExecutionOptions {
  readonly keepBackends: boolean;
  readonly healthTimeoutS: number;
  readonly json: boolean;
  readonly stdout: NodeJS.WritableStream;
  readonly detach: boolean;
}

/**
 * The options `lem campaign run` and `lem campaign resume` share, declared once so both commands offer the same
 * flags with the same help and the same rules.
 */
export abstract class CampaignExecutionCommand extends LemCommand {
  keepBackends = Option.Boolean('--keep-backends', false, {
    description: 'Leave the backend containers running afterwards',
  });
  healthTimeout = Option.String('--health-timeout', String(DEFAULT_HEALTH_TIMEOUT_S), {
    description: 'Seconds to wait for a backend to become healthy',
  });
  detach = Option.Boolean('--detach', false, {
    description:
      "executor: slurm only: Ctrl-C/SIGTERM leaves the campaign's jobs queued and running for a later resume (default: cancels them)",
  });
  project = Option.String('--project', {
    description: 'Project folder (holding compose.yaml); default: found from the current folder',
  });

  /** The shared options checked (a bad --health-timeout is the error) and resolved. */
  protected executionOptions(): Result<ExecutionOptions> {
    const healthTimeoutS = parseHealthTimeout(this.healthTimeout);
    if (!healthTimeoutS.ok) return healthTimeoutS;
    return ok({
      keepBackends: this.keepBackends,
      healthTimeoutS: healthTimeoutS.value,
      json: this.json,
      stdout: this.context.stdout,
      detach: this.detach,
    });
  }
}
