// Import rules between folders (npm run lint:deps, and tests/folder-loops.test.ts proves they bite).
// The layers themselves (shared/ pure, renderer/ never importing main/) are eslint's rules
// (eslint.config.js); these keep the folders of main/ and shared/ a tree with leaves at the ground.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-loop',
      comment:
        'Folders of main/ and shared/ must not import each other in a loop: a loop means neither can be ' +
        'understood, tested or moved without the other. Move the shared piece down to a leaf folder.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(main|shared)/' },
      to: { circular: true },
    },
    {
      name: 'no-module-loop',
      comment:
        'Modules must not import each other in a loop either: ES modules in a loop can see each ' +
        "other's bindings before they are initialized (a TDZ error at load time), dynamic imports included.",
      severity: 'error',
      from: { path: '^(main|shared)/' },
      to: { circular: true },
    },
    {
      name: 'contract-is-a-leaf',
      comment:
        'shared/contract/ is what crosses process and file boundaries: it imports only zod and itself, ' +
        'so that every other folder can depend on it without pulling anything else along.',
      severity: 'error',
      from: { path: '^shared/contract/' },
      to: { pathNot: '^(shared/contract/|node_modules/zod/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a loop through types is still a loop for the reader.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^|/)(node_modules|dist|native/build)/' },
  },
};
