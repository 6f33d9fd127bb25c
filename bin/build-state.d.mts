// Types of build-state.mjs for the TypeScript that imports it (tests, benches).
export declare const SERVER_NODE_FLAGS: readonly string[];
export declare const root: string;
export declare const STAMP: string;
export declare function serverStaleReason(base?: string): string | null;
export declare function ensureServerBuild(base?: string, options?: { force?: boolean }): void;
export declare function serverEntry(base?: string, worker?: boolean): string;
export declare function writeStamp(base?: string): void;
