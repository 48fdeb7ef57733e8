// Lets @stryker-mutator/mocha-runner 10.1 load Mocha 12's command-line helpers. Mocha 12 renamed
// lib/cli/run-helpers.js, options.js and collect-files.js to .cjs; the runner requires them without an extension, so
// its import fails before it registers ("Cannot find TestRunner plugin mocha"), although its peer range says
// mocha < 13. Upstream fix: stryker-mutator/stryker-js pull request 6205. Until a release has it, `npm run mutate`
// loads this file into Stryker and its workers (node --import; testRunnerNodeArgs and checkerNodeArgs in
// stryker.config.json). It acts only where Node.js finds no such file, so it does nothing once the runner looks for
// the .cjs files itself; then delete it and its three mentions.
import { registerHooks } from "node:module";

const MOCHA_CLI = /[\\/]mocha[\\/]lib[\\/]cli[\\/](run-helpers|options|collect-files)$/;

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (!MOCHA_CLI.test(specifier)) throw error;
      return nextResolve(`${specifier}.cjs`, context);
    }
  },
});
