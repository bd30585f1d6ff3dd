/**
 * Unit tests first, then integration; then tests that disturb shared parts
 * (`*.disruptive.test.ts`, e.g. killing a Redis primary), and the stack's own
 * down/up test last (it restarts every part).
 */
const Sequencer = require("@jest/test-sequencer").default;

const rank = (path) => (path.includes("stack-lifecycle") ? 3 : path.includes(".disruptive.") ? 2 : path.includes("/integration/") ? 1 : 0);

class StackAwareSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
  }
}

module.exports = StackAwareSequencer;
