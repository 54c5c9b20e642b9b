import type { Layer, LayerName, Layers, NodeCheck } from '../contract/domains.js';
import type { SourcedEnergy } from './domain-energies.js';

/**
 * The GPU → CPU → DRAM → node breakdown of one window, from per-domain figures (pure). A layer sums its domains'
 * figures, each domain's first listed source (the harness's NVML counter comes first for the GPUs); a layer with
 * one domain missing or invalid has no figure at all, with the reason: a partial sum would read as a measurement.
 */

/** Which layer a domain belongs to; undefined for domains no layer sums (RAPL's core/uncore lie inside the package). */
export function layerOf(domain: string): Exclude<LayerName, 'rest_of_node'> | undefined {
  const [kind, instance = ''] = domain.split(':');
  if (kind === 'gpu') return 'gpu';
  if (kind === 'cpu') return instance.startsWith('core-') || instance.startsWith('uncore-') ? undefined : 'cpu';
  if (kind === 'dram') return 'dram';
  if (kind === 'node' || kind === 'pdu') return 'node';
  return undefined;
}

const WHAT: Record<Exclude<LayerName, 'rest_of_node'>, string> = {
  gpu: 'GPU (the harness measures it with NVML, or an nvidia-smi/DCGM log)',
  cpu: 'CPU (a RAPL source, or powermetrics)',
  dram: 'DRAM (a RAPL source on a server with a DRAM domain)',
  node: 'whole node (a PDU over SNMP, or a wall meter as CSV with domain node)',
};

/** Per domain, the first figure listed for it. */
function firstPerDomain(energies: readonly SourcedEnergy[]): Map<string, SourcedEnergy> {
  const out = new Map<string, SourcedEnergy>();
  for (const e of energies) if (!out.has(e.domain)) out.set(e.domain, e);
  return out;
}

function layer(name: Exclude<LayerName, 'rest_of_node'>, figures: readonly SourcedEnergy[]): Layer {
  let mine = figures.filter((f) => layerOf(f.domain) === name);
  // A wall meter for the whole node and PDU outlets feeding it see the same energy: never add them up.
  if (name === 'node' && mine.some((f) => f.domain === 'node')) mine = mine.filter((f) => f.domain === 'node');
  const domains = mine.map((f) => f.domain).sort();
  if (mine.length === 0)
    return { joules: null, domains, missing: `not measured: no source for the ${WHAT[name]}`, note: null };
  const bad = mine.find((f) => f.joules === null);
  if (bad) return { joules: null, domains, missing: `${bad.domain} (${bad.source}): ${bad.invalid}`, note: null };
  return { joules: mine.reduce((s, f) => s + f.joules!, 0), domains, missing: null, note: null };
}

function restOfNode(node: Layer, parts: readonly [string, Layer][]): Layer {
  if (node.joules === null)
    return { joules: null, domains: [], missing: `no node figure: ${node.missing}`, note: null };
  const present = parts.filter(([, l]) => l.joules !== null);
  if (present.length === 0)
    return { joules: null, domains: [], missing: 'no component (GPU, CPU, DRAM) was measured', note: null };
  const absent = parts.filter(([, l]) => l.joules === null).map(([n]) => n);
  return {
    joules: node.joules - present.reduce((s, [, l]) => s + l.joules!, 0),
    domains: [...node.domains, ...present.flatMap(([, l]) => l.domains)],
    missing: null,
    note: absent.length > 0 ? `includes the unmeasured ${absent.join(', ')}` : null,
  };
}

export function nodeCheck(layers: Omit<Layers, 'rest_of_node'>, thresholdPct: number): NodeCheck {
  const parts = [layers.gpu, layers.cpu, layers.dram].filter((l) => l.joules !== null);
  const node = layers.node.joules;
  if (node === null)
    return { node_j: null, components_j: null, margin_pct: null, passed: null, detail: 'no node figure' };
  if (parts.length === 0)
    return { node_j: node, components_j: null, margin_pct: null, passed: null, detail: 'no component figure' };
  const components = parts.reduce((s, l) => s + l.joules!, 0);
  const margin = components === 0 ? null : ((node - components) / components) * 100;
  const passed = margin === null ? node >= 0 : margin >= -thresholdPct;
  const detail = passed
    ? 'the node drew at least what its measured components drew'
    : `the node meter read ${(-margin!).toFixed(1)} % less than the sum of its components: ` +
      'a meter is wrong, misassigned or its clock is off';
  return { node_j: node, components_j: components, margin_pct: margin, passed, detail };
}

export function layersOf(
  energies: readonly SourcedEnergy[],
  thresholdPct: number,
): { layers: Layers; node_check: NodeCheck } {
  const figures = [...firstPerDomain(energies).values()];
  const gpu = layer('gpu', figures);
  const cpu = layer('cpu', figures);
  const dram = layer('dram', figures);
  const node = layer('node', figures);
  const rest = restOfNode(node, [
    ['gpu', gpu],
    ['cpu', cpu],
    ['dram', dram],
  ]);
  return {
    layers: { gpu, cpu, dram, node, rest_of_node: rest },
    node_check: nodeCheck({ gpu, cpu, dram, node }, thresholdPct),
  };
}
