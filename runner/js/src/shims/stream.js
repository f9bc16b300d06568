// `xml` only touches Stream in its streaming mode, which this runtime does not offer.
class Stream {
  constructor() {
    throw new Error('xml({ stream: true }) is not available in this runtime: build the string instead');
  }
}
module.exports = { Stream };
