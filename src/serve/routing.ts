/** Which endpoint gets the next request when a load is spread over several servers (workers). */
export type RoutingPolicy = 'round-robin' | 'least-outstanding';

export interface Router {
  /** The worker for the next request; call `done` with it when that request finishes. */
  pick(): number;
  done(worker: number): void;
  readonly outstanding: readonly number[];
}

export function createRouter(workers: number, policy: RoutingPolicy): Router {
  const outstanding = new Array<number>(workers).fill(0);
  let next = 0;
  return {
    outstanding,
    pick() {
      let w: number;
      if (policy === 'round-robin') {
        w = next;
        next = (next + 1) % workers;
      } else {
        // Fewest in flight; ties go round-robin so equal servers share evenly.
        w = next;
        for (let k = 1; k < workers; k++) {
          const i = (next + k) % workers;
          if (outstanding[i]! < outstanding[w]!) w = i;
        }
        next = (w + 1) % workers;
      }
      outstanding[w]!++;
      return w;
    },
    done(worker) {
      outstanding[worker]!--;
    },
  };
}
