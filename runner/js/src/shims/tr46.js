// A small stand-in for tr46 (UTS #46 tables are half a megabyte): ASCII labels are
// lower-cased, other labels are NFC-normalised, lower-cased and punycode-encoded.
const punycode = require('punycode/');

function toASCII(domain) {
  return domain.split('.').map((label) => (
    /^[\x00-\x7f]*$/.test(label) ? label.toLowerCase() : 'xn--' + punycode.encode(label.normalize('NFC').toLowerCase())
  )).join('.');
}

function toUnicode(domain) {
  return { domain, error: false };
}

module.exports = { toASCII, toUnicode };
