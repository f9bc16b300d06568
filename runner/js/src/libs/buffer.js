// Node's Buffer (the npm `buffer` package, the one browserify uses).
module.exports = require('buffer/');
