// The npm `xml` package; its streaming mode needs Node streams, which do not exist here.
module.exports = require('xml');
