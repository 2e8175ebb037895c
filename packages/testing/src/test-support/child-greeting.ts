/** Imported as `./child-greeting.js` by child-program.ts: the require hook maps it to this file. */
export const greeting = (name: string): string => `hello-${name}`;
