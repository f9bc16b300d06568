// object-inspect (pulled in by the `url` package's qs) reads util.inspect.custom.
function inspect(value) {
  return String(value);
}
inspect.custom = Symbol.for('nodejs.util.inspect.custom');
module.exports = { inspect };
