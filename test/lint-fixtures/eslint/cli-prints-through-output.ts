// Linted as src/cli/commands/fixture.ts: a server's text straight to the terminal.
export const show = (name: string): void => {
  process.stdout.write(name);
};
