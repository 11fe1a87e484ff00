export declare const SOURCE_DIRS: string[];
export declare const SOURCE_FILES: string[];
export declare const STAMP: string;
export declare function newestSourceMtime(root: string): number;
export declare function staleReason(root: string, required?: string[]): string | undefined;
export declare function recordBuild(root: string, phase: 'begin' | 'done'): void;
