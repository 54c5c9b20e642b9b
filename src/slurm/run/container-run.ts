import type { ServiceDefinition } from '../../runtime/compose-file.js';
import type { ContainerRun } from '../launcher.js';

/**
 * The container a batch job starts on its compute node: the backend's compose service (image, mounts,
 * environment, secrets by name) running the harness on the batch's spec, instead of idling for `docker exec`.
 * The project's folders are bind-mounted from the same absolute paths, which is why they must be on the
 * cluster's shared filesystem.
 */
export function batchContainer(o: {
  service: ServiceDefinition;
  projectName: string;
  campaignId: string;
  batchId: string;
  /** The spec's path inside the container. */
  specPath: string;
}): ContainerRun {
  const s = o.service;
  return {
    image: s.image,
    // Docker refuses some characters; the job id is appended by the job script.
    name: `lem-${o.projectName}-${o.batchId}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 120),
    mounts: s.binds.map((b) => ({ source: b.source, target: b.target, readOnly: b.readOnly })),
    env: s.env,
    secretNames: s.secretNames,
    command: ['python3', '-m', 'lem_harness', 'run', o.specPath],
    gpus: s.gpus.length > 0,
    labels: {
      'org.lem.project': o.projectName,
      'org.lem.service': s.name,
      'org.lem.campaign': o.campaignId,
      'org.lem.batch': o.batchId,
    },
  };
}
