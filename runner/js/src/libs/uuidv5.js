// uuidv5 as Segment exposes it: an object holding the function (`uuidv5.uuidv5`).
module.exports = { uuidv5: require('uuidv5') };
