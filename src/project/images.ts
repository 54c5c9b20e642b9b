import { buildCommand } from '../runtime/build-command.js';
import type Docker from 'dockerode';
import { ErrorCode, lemError, type LemError } from '../core/errors.js';
import type { Project } from './project.js';

export interface MissingImage {
  readonly backend: string;
  readonly image: string;
}

/** The images of `backends` that the engine does not have (backends without a service are left to others). */
export async function missingImages(
  docker: Docker,
  project: Project,
  backends: Iterable<string>,
): Promise<MissingImage[]> {
  const out: MissingImage[] = [];
  for (const backend of new Set(backends)) {
    const def = project.compose.services[backend];
    if (!def) continue;
    try {
      await docker.getImage(def.image).inspect();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw e;
      out.push({ backend, image: def.image });
    }
  }
  return out;
}

export function describeMissing(m: readonly MissingImage[]): string {
  return m.map((x) => `image ${x.image} for backend "${x.backend}" is not present on this Docker engine`).join('; ');
}

/** One error naming every missing image and how to build each. */
export function missingImagesError(m: readonly MissingImage[]): LemError {
  const how = [...new Set(m.map((x) => buildCommand(x.backend, x.image)))];
  return lemError(ErrorCode.IMAGE_MISSING, describeMissing(m), {
    hint: `build ${m.length === 1 ? 'it' : 'them'} with: ${how.join(' && ')} (lem never pulls images)`,
  });
}
