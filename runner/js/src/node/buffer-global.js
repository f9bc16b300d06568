// `Buffer` as a free variable in Node libraries: the runner's Buffer library.
export const Buffer = require('buffer').Buffer;
