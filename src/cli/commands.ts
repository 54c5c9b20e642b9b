import type { CommandClass } from 'clipanion';

// One command per file; register each here.
export const commands: CommandClass[] = [];
