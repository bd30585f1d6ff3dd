/** Unit tests first, then integration, and the stack's own down/up test last (it restarts every part). */
const Sequencer = require("@jest/test-sequencer").default;

const rank = (path) => (path.includes("stack-lifecycle") ? 2 : path.includes("/integration/") ? 1 : 0);

class StackAwareSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
  }
}

module.exports = StackAwareSequencer;
