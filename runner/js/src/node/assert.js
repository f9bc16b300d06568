// Node's `assert`, the few checks libraries make.
class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AssertionError';
    this.code = 'ERR_ASSERTION';
  }
}

function assert(value, message) {
  if (!value) throw message instanceof Error ? message : new AssertionError(message || 'The expression evaluated to a falsy value');
}
assert.ok = assert;
assert.equal = (a, b, message) => assert(a == b, message || `${a} == ${b}`); // eslint-disable-line eqeqeq
assert.strictEqual = (a, b, message) => assert(Object.is(a, b), message || `${a} === ${b}`);
assert.notStrictEqual = (a, b, message) => assert(!Object.is(a, b), message || `${a} !== ${b}`);
assert.fail = (message) => { throw new AssertionError(message || 'Failed'); };
assert.AssertionError = AssertionError;
module.exports = assert;
