// Strings of one area of the editor, in English and Arabic (same keys); messages.en.ts merges them.
export const en = {
} as const;

export const ar: Record<keyof typeof en, string> = {
};
