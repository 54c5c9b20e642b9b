import { isMapping } from '../core/mapping.js';
import type { LoadedCampaign } from '../config/load.js';
import { formatPath, locate, readYamlFile, type DocPath } from '../config/source.js';
import type { PlacementLocator, Where } from './check.js';

/**
 * Where a loaded campaign writes the fields the placement checks name: its settings, a grid's base_config or
 * vary entry (the vary value the experiment got), or the experiment file it was loaded from (mode 1).
 */
export function campaignLocator(c: Pick<LoadedCampaign, 'source' | 'mode' | 'experiments'>): PlacementLocator {
  const at = (path: DocPath): Where => ({ location: locate(c.source, path), path: formatPath(path) });
  return {
    setting: (key, index) => at(index === undefined ? [key] : [key, index]),
    experiment: (i, field) => {
      const e = c.experiments[i]!;
      const own: DocPath = field === 'gpus' ? ['gpus'] : [e.backend, 'tensor_parallel_size'];
      if (c.mode === 'configs' && e.source !== undefined) {
        const file = readYamlFile(e.source);
        return file.ok
          ? { location: locate(file.value, own), path: formatPath(own) }
          : { location: { file: e.source }, path: formatPath(own) };
      }
      return at(gridPath(c.source.data, own, field === 'gpus' ? e.config.gpus : undefined));
    },
  };
}

/** The vary entry that sets `own` (by dotted key or nested), at the value given when it is a list; else base_config. */
function gridPath(data: unknown, own: DocPath, value: unknown): DocPath {
  const vary = isMapping(data) ? data['vary'] : undefined;
  const dotted = own.join('.');
  if (isMapping(vary) && Object.hasOwn(vary, dotted)) {
    const values = vary[dotted];
    const i = Array.isArray(values) ? values.findIndex((v) => JSON.stringify(v) === JSON.stringify(value)) : -1;
    return i >= 0 ? ['vary', dotted, i] : ['vary', dotted];
  }
  return ['base_config', ...own];
}

/** For a stored plan (resume, the daemon): the campaign file named, without lines (it may have changed since). */
export function planLocator(campaignFile: string): PlacementLocator {
  const at = (path: string): Where => ({ location: { file: campaignFile }, path });
  return {
    setting: (key, index) => at(index === undefined ? key : `${key}[${index}]`),
    experiment: (_i, field) => at(field === 'gpus' ? 'gpus' : 'tensor_parallel_size'),
  };
}
