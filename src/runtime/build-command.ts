/** How a backend's image is built in this repository (lem never pulls images). */
export function buildCommand(service: string, image: string, context?: string): string {
  if (service === 'synthetic') return 'bash scripts/build-images.sh';
  return `docker build -t ${image} ${context ?? `docker/${service}`}`;
}
