import type { CommandClass } from 'clipanion';
import { CampaignPlanCommand } from './campaign-plan.js';
import { ConfigValidateCommand } from './config-validate.js';
import { BackendsDownCommand, BackendsStatusCommand, BackendsUpCommand } from './backends.js';
import { CampaignListCommand } from './campaign-list.js';
import { CampaignRunCommand } from './campaign-run.js';
import { CampaignResumeCommand } from './campaign-resume.js';
import { CampaignStatusCommand } from './campaign-status.js';
import { DaemonCommand } from './daemon.js';
import { DaemonStatusCommand } from './daemon-status.js';
import { DoctorCommand } from './doctor.js';
import { ResultsAggregateCommand } from './results-aggregate.js';
import { ResultsCompareCommand } from './results-compare.js';
import { ResultsReportCommand } from './results-report.js';

// One command per file; register each here.
export const commands: CommandClass[] = [
  CampaignRunCommand,
  ConfigValidateCommand,
  CampaignPlanCommand,
  CampaignResumeCommand,
  CampaignStatusCommand,
  CampaignListCommand,
  BackendsUpCommand,
  BackendsDownCommand,
  BackendsStatusCommand,
  DaemonCommand,
  DaemonStatusCommand,
  DoctorCommand,
  ResultsAggregateCommand,
  ResultsReportCommand,
  ResultsCompareCommand,
];
