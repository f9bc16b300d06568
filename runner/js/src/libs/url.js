// WHATWG URL and URLSearchParams (the reference implementation, without the Unicode
// tables: international domain names are encoded with punycode after lower-casing).
const { URL, URLSearchParams } = require('whatwg-url');
module.exports = { URL, URLSearchParams };
