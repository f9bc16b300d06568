// stripe-node: it speaks HTTP through Node's https module, the sandbox's shim over fetch.
module.exports = require('stripe');
