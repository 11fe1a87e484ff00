/** Byte sizes on the command line: the same words the engine configuration accepts (src-shared/byte-size.ts). */
export { formatByteSize, parseByteSize } from '../../src-shared/byte-size.js';
