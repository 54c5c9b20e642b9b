/** A backend service as lem runs it: everything resolved to absolute host paths and plain values. */
export interface BindMount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export interface GpuRequest {
  readonly driver: string;
  readonly count: number; // -1 = all
  readonly deviceIds: readonly string[];
  readonly capabilities: readonly string[];
  readonly options: Readonly<Record<string, string>>;
}

export interface DeviceMapping {
  readonly host: string;
  readonly container: string;
  readonly permissions: string;
}

export interface Ulimit {
  readonly name: string;
  readonly soft: number;
  readonly hard: number;
}

export interface Healthcheck {
  readonly test: readonly string[];
  readonly intervalNs: number;
  readonly timeoutNs: number;
  readonly retries: number;
  readonly startPeriodNs: number;
}

/** A container port published on the host, on 127.0.0.1 only; hostPort null lets Docker pick a free one. */
export interface PublishedPort {
  readonly hostIp: string;
  readonly hostPort: number | null;
  readonly containerPort: number;
}

export interface ServiceDefinition {
  readonly name: string;
  readonly image: string;
  /** The build context, relative paths resolved, for the hint when the image is missing. */
  readonly buildContext: string | undefined;
  readonly init: boolean;
  readonly cmd: readonly string[] | undefined;
  readonly entrypoint: readonly string[] | undefined;
  readonly workingDir: string | undefined;
  readonly user: string | undefined;
  readonly groupAdd: readonly string[];
  readonly binds: readonly BindMount[];
  readonly tmpfs: Readonly<Record<string, string>>;
  readonly readOnlyRootfs: boolean;
  /** Plain environment written into the container definition (env_file first, then environment). */
  readonly env: Readonly<Record<string, string>>;
  /** Names of secrets copied from the user's environment at container creation; values are never stored. */
  readonly secretNames: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly shmSizeBytes: number | undefined;
  readonly ipcMode: string | undefined;
  readonly healthcheck: Healthcheck | undefined;
  readonly gpus: readonly GpuRequest[];
  readonly devices: readonly DeviceMapping[];
  readonly runtime: string | undefined;
  readonly capAdd: readonly string[];
  readonly capDrop: readonly string[];
  readonly securityOpt: readonly string[];
  readonly memoryBytes: number | undefined;
  readonly memorySwapBytes: number | undefined;
  readonly pidsLimit: number | undefined;
  readonly nanoCpus: number | undefined;
  readonly ulimits: readonly Ulimit[];
  readonly stopSignal: string | undefined;
  /** Ports published on 127.0.0.1, for servers lem starts in the container (serve mode). */
  readonly ports: readonly PublishedPort[];
}

export interface ComposeProject {
  readonly dir: string;
  readonly files: readonly string[];
  readonly services: Readonly<Record<string, ServiceDefinition>>;
}
