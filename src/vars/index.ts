/** Variables: precedence, per-host scopes, -e parsing, templates and conditions. */
export { type ExtraVars, extraVarsLayer, parseExtraVars } from './extra-vars.js';
export { ansibleBool, truthy } from './helpers.js';
export { childLocation, type RenderLocation } from './location.js';
export {
  layerRank,
  PRECEDENCE_TEXT,
  UNTEMPLATED_LAYERS,
  VAR_LAYERS,
  type VarLayerName,
} from './precedence.js';
export {
  type ExplainedVar,
  inventoryLayers,
  inventorySourceText,
  mappingLayer,
  type VarDefinition,
  type VarDefinitionInput,
  type VarLayerInput,
  VarScope,
  type VarValueSource,
} from './scope.js';
export {
  type ExplainedRenderedVar,
  evaluateCondition,
  explainVars,
  renderTemplateFile,
  renderText,
  renderValue,
  resolveVariable,
  templateBlockHelpers,
  templateHelpers,
} from './template.js';
export { loadVarsFile, readVarsFile, VAR_NAME, varsOfSource } from './vars-file.js';
