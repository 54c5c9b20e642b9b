import { z } from 'zod';

/**
 * One line of `python3 -m lem_harness ps`: a harness `run` process in a container. The ids are those of the
 * batch it runs (from the container's run lock, or its spec file), null where neither can be read.
 */
export const RunningHarness = z.strictObject({
  pid: z.int().positive(),
  campaign_id: z.string().nullable(),
  batch_id: z.string().nullable(),
});
