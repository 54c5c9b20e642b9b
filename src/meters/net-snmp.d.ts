/**
 * The part of the `net-snmp` package (plain JavaScript, no published types) that lem uses: one v2c session,
 * GET of numeric OIDs. Shapes follow the package's README and lib (Session.create, Session.prototype.get).
 */
declare module 'net-snmp' {
  export interface Varbind {
    readonly oid: string;
    readonly type: number;
    readonly value: unknown;
  }
  export interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    version?: number;
    transport?: 'udp4' | 'udp6';
  }
  export interface Session {
    get(oids: string[], callback: (error: Error | null, varbinds?: Varbind[]) => void): void;
    close(): void;
    on(event: 'error' | 'close', listener: (error?: Error) => void): void;
  }
  const snmp: {
    readonly Version2c: number;
    createSession(target: string, community: string, options?: SessionOptions): Session;
    isVarbindError(varbind: Varbind): boolean;
    varbindError(varbind: Varbind): string;
  };
  export default snmp;
}
