/** The one door to the `yaml` package: documents with source ranges, for messages that name file:line:col. */
export {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  stringify,
  type Tags,
  type YAMLError,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
